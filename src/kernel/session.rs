//! The kernel's main thread: the [`Engine`] (and CPython with it) answers shell requests one at
//! a time, in order — execute, complete, inspect, is_complete, history, comm_info — each wrapped
//! in `busy` … `idle` on iopub. A failed cell with `stop_on_error` aborts the cells queued
//! behind it. Python's `input()` asks the front-end through the stdin channel.

use super::output::KernelOutput;
use super::sockets::{Channel, Inbound, Sender, Wires};
use super::wire::{iso_now, Message};
use crate::diagnostics::RenderOptions;
use crate::engine::{Engine, Show};
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::host::Lazy;
use crate::runtime::output::{Output, Stream};
use crate::runtime::value::{Builtin, BuiltinResult, HostArgs, Value};
use crate::runtime::Vm;
use crate::source::{SourceId, Span};
use serde_json::{json, Value as Json};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long after a failed cell the kernel looks for requests still on their way that were
/// sent before it failed (and so are aborted with it).
const ABORT_WINDOW: Duration = Duration::from_millis(20);

pub struct Kernel {
    pub engine: Engine,
    inbound: mpsc::Receiver<Inbound>,
    sender: Sender,
    output: Arc<KernelOutput>,
    kernel_info: Json,
    execution_count: u64,
    /// (execution count, code) of every cell run with `store_history`.
    history: Vec<(u64, String)>,
    /// Requests read while aborting, to answer next.
    deferred: VecDeque<Message>,
    shutdown: bool,
    /// Why Python could not start, told in the first cell.
    startup_problem: Option<String>,
}

/// What `input()` needs while a cell runs: where to ask and whether the front-end allows it.
struct Stdin {
    replies: mpsc::Receiver<Message>,
    sender: Sender,
    output: Arc<KernelOutput>,
    idents: Vec<Vec<u8>>,
    parent: Json,
    allowed: bool,
}

thread_local! {
    // The engine (and so every caller of `input()`) runs on the main thread.
    static STDIN: RefCell<Option<Stdin>> = const { RefCell::new(None) };
}

/// `(%kernel-input prompt password?)`: Python's `input()` in a notebook.
static INPUT: Builtin = Builtin {
    name: "%kernel-input",
    min_args: 1,
    max_args: Some(2),
    f: crate::runtime::value::BuiltinFn::WithVm(kernel_input),
    doc: "Reads a line from the notebook's front-end (what Python's input() calls).",
    host: HostArgs::None,
};

fn kernel_input(_vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let prompt = match &args[0] {
        Value::Str(s) => s.as_str().to_string(),
        other => crate::runtime::printer::display(other),
    };
    let password = args.get(1).is_some_and(Value::truthy);
    STDIN.with(|s| {
        let s = s.borrow();
        let Some(s) = s.as_ref() else {
            return Err(no_stdin());
        };
        if !s.allowed {
            return Err(no_stdin());
        }
        s.output.publish_pending();
        while s.replies.try_recv().is_ok() {}
        s.sender.send(
            Channel::Stdin,
            s.idents.clone(),
            "input_request",
            &s.parent,
            json!({}),
            json!({"prompt": prompt, "password": password}),
        );
        loop {
            match s.replies.recv_timeout(Duration::from_millis(50)) {
                Ok(reply) => {
                    let value = reply.text("value").to_string();
                    if !password {
                        // What was typed stays visible in the cell's output, as in a terminal.
                        s.output
                            .write(Stream::Stdout, &format!("{prompt}{value}\n"));
                    }
                    return Ok(Value::str(&value));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if crate::runtime::interrupt::take() {
                        return Err(LispError::new(ErrorKind::Interrupt, "interrupted"));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(no_stdin()),
            }
        }
    })
}

fn no_stdin() -> Exn {
    LispError::new(
        ErrorKind::Host("StdinNotImplementedError".into()),
        "input() is not available: this front-end does not accept input for this cell",
    )
}

/// The ending of an executed cell.
enum Outcome {
    Ok {
        payload: Vec<Json>,
    },
    Error {
        ename: String,
        evalue: String,
        traceback: Vec<String>,
    },
}

impl Kernel {
    pub fn new(mut engine: Engine, wires: Wires, kernel_info: Json) -> Kernel {
        let output = Arc::new(KernelOutput::new(wires.out.clone()));
        engine.set_output(output.clone());
        STDIN.with(|s| {
            *s.borrow_mut() = Some(Stdin {
                replies: wires.input,
                sender: wires.out.clone(),
                output: output.clone(),
                idents: Vec::new(),
                parent: json!({}),
                allowed: false,
            })
        });
        // Python starts now, so a broken environment shows at once (in the first cell).
        let startup_problem = engine.route_input(Value::Builtin(&INPUT)).err().map(|e| {
            format!(
                "Python is not available: {}: {}\n",
                e.kind.type_name(),
                e.message
            )
        });
        engine.detach();
        Kernel {
            engine,
            inbound: wires.inbound,
            sender: wires.out,
            output,
            kernel_info,
            execution_count: 0,
            history: Vec::new(),
            deferred: VecDeque::new(),
            shutdown: false,
            startup_problem,
        }
    }

    pub fn output(&self) -> Arc<KernelOutput> {
        self.output.clone()
    }

    /// Ends the session (Lisp values dropped, Python finalized); the exit status.
    pub fn finish(self) -> i32 {
        STDIN.with(|s| s.borrow_mut().take());
        self.engine.shutdown().unwrap_or(0)
    }

    /// Answers requests until the front-end shuts the kernel down.
    pub fn run(&mut self) {
        self.sender.status("starting", &json!({}));
        while !self.shutdown {
            let msg = match self.deferred.pop_front() {
                Some(m) => m,
                None => match self.inbound.recv() {
                    Ok(Inbound::Shell(m)) => m,
                    Ok(Inbound::Shutdown) | Err(_) => break,
                },
            };
            self.handle(&msg);
        }
        self.output.end();
    }

    fn reply(&self, request: &Message, msg_type: &str, metadata: Json, content: Json) {
        self.sender.send(
            Channel::Shell,
            request.idents.clone(),
            msg_type,
            &request.header,
            metadata,
            content,
        );
    }

    fn handle(&mut self, msg: &Message) {
        let kind = msg.msg_type().to_string();
        if kind == "execute_request" {
            return self.execute(msg);
        }
        self.sender.status("busy", &msg.header);
        match kind.as_str() {
            "kernel_info_request" => self.reply(
                msg,
                "kernel_info_reply",
                json!({}),
                self.kernel_info.clone(),
            ),
            "complete_request" => {
                let content = self.complete(msg);
                self.reply(msg, "complete_reply", json!({}), content)
            }
            "inspect_request" => {
                let content = self.inspect(msg);
                self.reply(msg, "inspect_reply", json!({}), content)
            }
            "is_complete_request" => {
                let content = is_complete(msg.text("code"));
                self.reply(msg, "is_complete_reply", json!({}), content)
            }
            "history_request" => {
                let content = self.history(msg);
                self.reply(msg, "history_reply", json!({}), content)
            }
            "comm_info_request" => self.reply(
                msg,
                "comm_info_reply",
                json!({}),
                json!({"status": "ok", "comms": {}}),
            ),
            "comm_open" => {
                // No comm targets: close it, so the front-end does not wait.
                let id = msg.content.get("comm_id").cloned().unwrap_or(Json::Null);
                self.sender.publish(
                    "comm_close",
                    &msg.header,
                    json!({"comm_id": id, "data": {}}),
                );
            }
            "shutdown_request" => {
                // Deprecated on shell, still answered.
                let restart = msg.flag("restart", false);
                self.reply(
                    msg,
                    "shutdown_reply",
                    json!({}),
                    json!({"status": "ok", "restart": restart}),
                );
                self.shutdown = true;
            }
            "comm_msg" | "comm_close" => {}
            other => eprintln!("polyglot kernel: no answer for {other}"),
        }
        self.sender.status("idle", &msg.header);
    }

    fn execute(&mut self, msg: &Message) {
        let code = msg.text("code").to_string();
        let silent = msg.flag("silent", false);
        let store = msg.flag("store_history", true) && !silent;
        let stop_on_error = msg.flag("stop_on_error", true);
        self.output.begin(&msg.header);
        self.sender.status("busy", &msg.header);
        let started = iso_now();
        if store {
            self.execution_count += 1;
            self.history.push((self.execution_count, code.clone()));
        }
        let count = self.execution_count;
        if !silent {
            self.output.publish(
                "execute_input",
                json!({"code": code, "execution_count": count}),
            );
        }
        if let Some(problem) = self.startup_problem.take() {
            self.output.write(Stream::Stderr, &problem);
        }
        STDIN.with(|s| {
            if let Some(s) = s.borrow_mut().as_mut() {
                s.idents = msg.idents.clone();
                s.parent = msg.header.clone();
                s.allowed = msg.flag("allow_stdin", true);
            }
        });
        // An interrupt that arrived while idle is not meant for this cell.
        crate::runtime::interrupt::clear();
        let outcome = self.run_cell(&code, count, silent);
        // Requests sent before this moment were queued behind the cell (see `abort_queued`).
        let ended = iso_now();
        STDIN.with(|s| {
            if let Some(s) = s.borrow_mut().as_mut() {
                s.allowed = false;
            }
        });
        let (status, content) = match outcome {
            Outcome::Ok { payload } => (
                "ok",
                json!({"status": "ok", "execution_count": count, "payload": payload,
                       "user_expressions": {}}),
            ),
            Outcome::Error {
                ename,
                evalue,
                traceback,
            } => {
                self.output.publish(
                    "error",
                    json!({"ename": ename, "evalue": evalue, "traceback": traceback}),
                );
                (
                    "error",
                    json!({"status": "error", "execution_count": count, "ename": ename,
                           "evalue": evalue, "traceback": traceback, "payload": [],
                           "user_expressions": {}}),
                )
            }
        };
        self.output.end();
        self.reply(
            msg,
            "execute_reply",
            json!({"started": started, "dependencies_met": true, "status": status}),
            content,
        );
        self.sender.status("idle", &msg.header);
        if status == "error" && stop_on_error {
            self.abort_queued(&ended);
        }
    }

    /// Runs a cell's code: a front-end command (`:doc NAME`, `:time FORM`) or Lisp forms,
    /// then shows the last value and any matplotlib figures the cell left open.
    fn run_cell(&mut self, code: &str, count: u64, silent: bool) -> Outcome {
        let trimmed = code.trim();
        if let Some(rest) = trimmed.strip_prefix(":doc") {
            let name = rest.trim();
            if !name.is_empty() && !name.contains(char::is_whitespace) {
                let text = self.doc(name);
                return Outcome::Ok {
                    payload: vec![json!({"source": "page", "data": {"text/plain": text},
                                         "start": 0})],
                };
            }
        }
        let (code, timed) = match trimmed.strip_prefix(":time") {
            Some(rest) if rest.starts_with(char::is_whitespace) => (rest, true),
            _ => (code, false),
        };
        if timed {
            self.engine.set_timing(true);
        }
        let name = if silent {
            "<silent>".to_string()
        } else {
            format!("cell[{count}]")
        };
        let out = self
            .engine
            .eval_with(&name, code, Show::Nothing, &mut |_, _| {});
        let result = out.result.and_then(|v| self.engine.vm.force(&v));
        if timed {
            self.engine.set_timing(false);
            self.output
                .write(Stream::Stdout, &format!("{}\n", out.timing.line()));
        }
        let outcome = match result {
            Ok(v) => {
                if !silent && !matches!(v, Value::Nil) {
                    self.show_result(&v, count);
                }
                Outcome::Ok {
                    payload: Vec::new(),
                }
            }
            Err(e) => self.error(&e),
        };
        self.show_figures();
        self.engine.detach();
        outcome
    }

    fn show_result(&mut self, v: &Value, count: u64) {
        let bundle = self.engine.mime_bundle(v);
        let mut content: Json = serde_json::from_str(&bundle)
            .unwrap_or_else(|_| json!({"data": {"text/plain": bundle}, "metadata": {}}));
        content["execution_count"] = json!(count);
        self.output.publish("execute_result", content);
    }

    /// Open matplotlib figures as PNG `display_data` (no `plt.show()` needed).
    fn show_figures(&mut self) {
        let list = self.engine.take_figures();
        if let Ok(Json::Array(figures)) = serde_json::from_str::<Json>(&list) {
            for mut f in figures {
                f["transient"] = json!({});
                self.output.publish("display_data", f);
            }
        }
    }

    fn error(&mut self, e: &LispError) -> Outcome {
        let render = RenderOptions {
            color: true,
            unicode: false,
            width: 100,
        };
        let text = self.engine.render(e, &render);
        Outcome::Error {
            ename: e.kind.type_name().to_string(),
            evalue: e.message.clone(),
            traceback: text.lines().map(str::to_string).collect(),
        }
    }

    /// After a failed cell: execute requests sent before the failure was reported are
    /// answered `aborted` (the cells queued behind it: "Run All" stops at the error); requests
    /// sent after it (the user's next cell) and anything else are kept.
    fn abort_queued(&mut self, cutoff: &str) {
        let deadline = Instant::now() + ABORT_WINDOW;
        // Sent before the failure: by its header date (a message without one counts as sent
        // before when it was already waiting).
        let sent_before =
            |m: &Message, waiting: bool| match m.header.get("date").and_then(Json::as_str) {
                Some(d) => d < cutoff,
                None => waiting,
            };
        let mut queued: Vec<(Message, bool)> = Vec::new();
        for m in self.deferred.drain(..) {
            let before = sent_before(&m, true);
            queued.push((m, before));
        }
        loop {
            match self.inbound.try_recv() {
                Ok(Inbound::Shell(m)) => {
                    let before = sent_before(&m, true);
                    queued.push((m, before));
                }
                Ok(Inbound::Shutdown) => self.shutdown = true,
                Err(_) => break,
            }
        }
        // Requests still on their way.
        while !self.shutdown {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.inbound.recv_timeout(left) {
                Ok(Inbound::Shell(m)) => {
                    let before = sent_before(&m, false);
                    queued.push((m, before));
                }
                Ok(Inbound::Shutdown) => {
                    self.shutdown = true;
                    break;
                }
                Err(_) => break,
            }
        }
        for (m, before) in queued {
            if before && m.msg_type() == "execute_request" {
                self.sender.status("busy", &m.header);
                self.reply(
                    &m,
                    "execute_reply",
                    json!({"status": "aborted", "dependencies_met": true}),
                    json!({"status": "aborted", "execution_count": self.execution_count}),
                );
                self.sender.status("idle", &m.header);
            } else {
                self.deferred.push_back(m);
            }
        }
    }

    fn complete(&mut self, msg: &Message) -> Json {
        let code = msg.text("code");
        let cursor = msg
            .content
            .get("cursor_pos")
            .and_then(Json::as_u64)
            .map_or(code.chars().count(), |c| c as usize);
        let pos = byte_offset(code, cursor);
        let mut completions = self.engine.completions();
        completions.commands = vec![":doc".into(), ":time".into()];
        let (start, found) = completions.complete(code, pos);
        let matches: Vec<String> = found.into_iter().map(|(_, r)| r).collect();
        json!({
            "status": "ok",
            "matches": matches,
            "cursor_start": code[..start].chars().count(),
            "cursor_end": cursor,
            "metadata": {},
        })
    }

    /// The docs of a name: the Lisp's, or Python's for a Python value.
    fn doc(&mut self, name: &str) -> String {
        let mut parts = name.split('.');
        let head = parts.next().unwrap_or_default();
        // `pd.read-csv` is `pd.read_csv`, as in calls.
        let path: Vec<String> = parts.map(crate::symbol::python_name).collect();
        match self.engine.global(head) {
            Some(v) if v.is_host() => {
                let target = if path.is_empty() {
                    v
                } else {
                    Lazy::attr(&self.engine.vm.host, v, path, Span::default())
                };
                match self.engine.inspect_python(&target) {
                    Ok(t) => format!("{name}: Python\n{t}\n"),
                    Err(e) => format!(
                        "{name}: not found ({}: {})\n",
                        e.kind.type_name(),
                        e.message
                    ),
                }
            }
            _ => self.engine.doc_text(name),
        }
    }

    fn inspect(&mut self, msg: &Message) -> Json {
        let code = msg.text("code").to_string();
        let cursor = msg
            .content
            .get("cursor_pos")
            .and_then(Json::as_u64)
            .map_or(code.chars().count(), |c| c as usize);
        let word = word_at(&code, byte_offset(&code, cursor));
        if word.is_empty() {
            return json!({"status": "ok", "found": false, "data": {}, "metadata": {}});
        }
        let text = self.doc(word);
        let found = !text.ends_with(": not bound\n") && !text.contains(": not found (");
        json!({
            "status": "ok",
            "found": found,
            "data": if found { json!({"text/plain": text}) } else { json!({}) },
            "metadata": {},
        })
    }

    fn history(&self, msg: &Message) -> Json {
        let entries: Vec<&(u64, String)> = match msg.text("hist_access_type") {
            "tail" => {
                let n = msg.content.get("n").and_then(Json::as_u64).unwrap_or(10) as usize;
                self.history
                    .iter()
                    .skip(self.history.len().saturating_sub(n))
                    .collect()
            }
            "range" => {
                let start = msg.content.get("start").and_then(Json::as_u64).unwrap_or(0);
                let stop = msg
                    .content
                    .get("stop")
                    .and_then(Json::as_u64)
                    .unwrap_or(u64::MAX);
                self.history
                    .iter()
                    .filter(|(n, _)| *n >= start && *n < stop)
                    .collect()
            }
            "search" => {
                let pattern = msg.text("pattern");
                let mut found: Vec<&(u64, String)> = self
                    .history
                    .iter()
                    .filter(|(_, code)| glob_match(pattern, code))
                    .collect();
                if msg.flag("unique", false) {
                    let mut seen = std::collections::HashSet::new();
                    found.retain(|(_, c)| seen.insert(c.clone()));
                }
                if let Some(n) = msg.content.get("n").and_then(Json::as_u64) {
                    found = found.split_off(found.len().saturating_sub(n as usize));
                }
                found
            }
            _ => Vec::new(),
        };
        let output = msg.flag("output", false);
        let history: Vec<Json> = entries
            .into_iter()
            .map(|(n, code)| {
                if output {
                    json!([0, n, [code, null]])
                } else {
                    json!([0, n, code])
                }
            })
            .collect();
        json!({"status": "ok", "history": history})
    }
}

/// `is_complete`: complete forms, an open form (with the indent to continue at), or input the
/// reader rejects.
pub fn is_complete(code: &str) -> Json {
    if code.trim_start().starts_with(':') {
        return json!({"status": "complete"});
    }
    // Asking must not intern the cell's names for good (a kernel runs for days).
    let read = crate::symbol::reading_data(|| {
        crate::reader::read_all(code, SourceId(u32::MAX)).map(|_| ())
    });
    match read {
        Ok(_) => json!({"status": "complete"}),
        Err(e) if e.is_incomplete() => json!({"status": "incomplete", "indent": "  "}),
        Err(_) => json!({"status": "invalid"}),
    }
}

/// The byte offset of code point `cursor` (front-ends count code points).
pub fn byte_offset(text: &str, cursor: usize) -> usize {
    text.char_indices()
        .nth(cursor)
        .map_or(text.len(), |(i, _)| i)
}

/// The symbol around byte `pos` (for inspection).
fn word_at(text: &str, pos: usize) -> &str {
    let is_word = |c: char| {
        !c.is_whitespace()
            && !matches!(
                c,
                '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'' | '`' | ',' | ';'
            )
    };
    let start = text[..pos]
        .char_indices()
        .rev()
        .find(|(_, c)| !is_word(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[pos..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| pos + i);
    &text[start..end]
}

/// `*` and `?` wildcards, as history search uses them.
fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    if p.len() > 64 || t.len() > 10_000 {
        return text.contains(pattern.trim_matches('*'));
    }
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_follows_the_reader() {
        assert_eq!(is_complete("(+ 1 2)")["status"], "complete");
        assert_eq!(is_complete("(defn f (x)")["status"], "incomplete");
        assert_eq!(is_complete(")")["status"], "invalid");
        assert_eq!(is_complete(":doc map")["status"], "complete");
    }

    #[test]
    fn cursors_count_code_points() {
        let text = "(str \"😀\" ma";
        assert_eq!(byte_offset(text, 11), text.len());
        assert_eq!(byte_offset(text, 6), 6);
        assert_eq!(byte_offset(text, 7), 10);
    }

    #[test]
    fn the_word_under_the_cursor() {
        assert_eq!(word_at("(map inc xs)", 3), "map");
        assert_eq!(word_at("(np.linalg.norm v)", 5), "np.linalg.norm");
        assert_eq!(word_at("( )", 1), "");
    }

    #[test]
    fn history_patterns() {
        assert!(glob_match("*print*", "(println 1)"));
        assert!(glob_match("(de?n*", "(defn f [] 1)"));
        assert!(!glob_match("x*", "(+ 1 2)"));
    }
}
