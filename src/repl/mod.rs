//! The interactive REPL: a thin loop over the line editor, the engine and the command table.
//! Every error is shown and the loop goes on; Ctrl-C clears the line (or interrupts a running
//! evaluation); Ctrl-D leaves. History is kept in the XDG data directory.

mod commands;
mod helper;

pub use helper::{colorize, input_state};

use crate::bridge::ir::Stats;
use crate::cli::Config;
use crate::diagnostics::RenderOptions;
use crate::engine::Engine;
use crate::runtime::builtins::core::{flush_stdout, write_stdout};
use crate::runtime::printer::readable;
use helper::{Completions, ReplHelper};
use owo_colors::OwoColorize;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config as EditorConfig, Editor};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The REPL's state, as commands see it.
pub struct Session {
    pub engine: Engine,
    pub timing: bool,
    pub render: RenderOptions,
    pub color: bool,
    count: usize,
}

impl Session {
    pub fn out(&self, text: &str) {
        write_stdout(text);
        flush_stdout();
    }

    pub fn err(&self, text: &str) {
        eprint!("{text}");
    }

    /// Evaluates one submitted input; prints each form's value, or the error.
    pub fn eval_input(&mut self, input: &str) {
        self.count += 1;
        let name = format!("<repl:{}>", self.count);
        let id = self.engine.sources.add(name, input);
        let text = self
            .engine
            .sources
            .get(id)
            .map(|s| s.text.clone())
            .unwrap_or_default();
        let mut parser = crate::reader::Parser::new(&text, id);
        let before = crate::runtime::py::stats();
        let started = Instant::now();
        loop {
            let form = match parser.next_form() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    self.show_error(&crate::runtime::error::LispError::from_read(e));
                    break;
                }
            };
            let r = self
                .engine
                .eval_form(&form)
                .and_then(|v| crate::runtime::py::force(&mut self.engine.vm, &v));
            match r {
                Ok(v) => {
                    if crate::runtime::builtins::core::stdout_mid_line() {
                        write_stdout("\n");
                    }
                    flush_stdout();
                    let shown = readable(&v);
                    if self.color {
                        self.out(&format!("{}\n", helper::colorize(&shown, None)));
                    } else {
                        self.out(&format!("{shown}\n"));
                    }
                    self.remember_value(v);
                }
                Err(e) => {
                    flush_stdout();
                    self.show_error(&e);
                    self.engine.vm.define(
                        "*e",
                        crate::runtime::value::Value::Error(std::rc::Rc::new(*e)),
                    );
                    break;
                }
            }
        }
        if self.timing {
            let after = crate::runtime::py::stats();
            self.show_timing(started.elapsed(), before, after);
        }
    }

    /// `*1`, `*2`, `*3`: the last three values shown (as in Clojure's REPL).
    fn remember_value(&mut self, v: crate::runtime::value::Value) {
        let vm = &mut self.engine.vm;
        let get = |vm: &crate::runtime::Vm, n: &str| {
            vm.global_value(crate::runtime::symbol::intern(n))
                .unwrap_or_default()
        };
        let (one, two) = (get(vm, "*1"), get(vm, "*2"));
        vm.define("*3", two);
        vm.define("*2", one);
        vm.define("*1", v);
    }

    fn show_error(&self, e: &crate::runtime::error::LispError) {
        if e.kind == crate::runtime::error::ErrorKind::Interrupt {
            // The terminal echoed ^C without a newline.
            eprintln!();
        }
        eprint!("{}", self.engine.render(e, &self.render));
    }

    fn show_timing(&self, total: Duration, before: Stats, after: Stats) {
        let line = timing_line(total, before, after);
        if self.color {
            eprintln!("{}", line.dimmed());
        } else {
            eprintln!("{line}");
        }
    }
}

/// `⏱ 1.20 ms · python 0.80 ms · bridge 15 µs · 2 requests`: the total, and when Python was
/// used, the time inside Python, the time in the bridge and the number of requests.
pub fn timing_line(total: Duration, before: Stats, after: Stats) -> String {
    let mut line = format!("⏱ {}", format_duration(total));
    let requests = after.requests - before.requests;
    if requests > 0 {
        let python = Duration::from_nanos(after.python_nanos - before.python_nanos);
        let bridge = Duration::from_nanos(after.bridge_nanos.saturating_sub(before.bridge_nanos));
        line.push_str(&format!(
            " · python {} · bridge {} · {} request{}",
            format_duration(python),
            format_duration(bridge),
            requests,
            if requests == 1 { "" } else { "s" }
        ));
    }
    line
}

pub fn format_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// `$XDG_DATA_HOME/polyglot/history`, else `~/.local/share/polyglot/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("polyglot").join("history"))
}

fn refresh_completions(session: &Session, completions: &Rc<RefCell<Completions>>) {
    let mut c = completions.borrow_mut();
    c.names = session
        .engine
        .vm
        .bound_names()
        .into_iter()
        .map(|s| s.name().to_string())
        .chain(
            crate::runtime::symbol::SPECIAL_FORMS
                .iter()
                .map(|s| s.to_string()),
        )
        .collect();
    c.commands = commands::COMMANDS
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    c.python = session
        .engine
        .vm
        .bound_names()
        .into_iter()
        .filter_map(|s| {
            let v = session.engine.vm.global_value(s)?;
            v.is_py().then_some((s.name().to_string(), v))
        })
        .collect();
}

pub fn run(engine: Engine, config: &Config) -> i32 {
    let color = std::io::stdout().is_terminal() && config.render.color;
    let timing = config.timing.unwrap_or(true);
    crate::runtime::py::set_timing(timing);
    let mut session = Session {
        engine,
        timing,
        render: config.render.clone(),
        color,
        count: 0,
    };
    let completions = Rc::new(RefCell::new(Completions::default()));
    refresh_completions(&session, &completions);
    let editor_config = EditorConfig::builder()
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .build();
    let mut rl: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(editor_config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 1;
        }
    };
    rl.set_helper(Some(ReplHelper {
        completions: completions.clone(),
        color,
    }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    for name in ["*1", "*2", "*3", "*e"] {
        session
            .engine
            .vm
            .define(name, crate::runtime::value::Value::Nil);
    }
    session.out(&format!(
        "polyglot {} — a Lisp for Python. :help for help, Ctrl-D to quit.\n",
        env!("CARGO_PKG_VERSION")
    ));
    loop {
        // A Ctrl-C pressed while the previous evaluation was ending must not stop the next one;
        // one pressed after Enter (before evaluation starts) must.
        crate::runtime::interrupt::clear();
        crate::runtime::py::detach();
        match rl.readline("pg> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                if let Some(h) = &history {
                    if let Some(dir) = h.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    let _ = rl.append_history(h);
                }
                let trimmed = line.trim();
                if trimmed.starts_with(':') {
                    let (name, arg) = trimmed
                        .split_once(char::is_whitespace)
                        .unwrap_or((trimmed, ""));
                    match commands::find(name) {
                        Some(cmd) => {
                            if let commands::Outcome::Quit = (cmd.run)(&mut session, arg) {
                                break;
                            }
                        }
                        None => {
                            session.err(&format!("unknown command `{name}`; :help lists them\n"))
                        }
                    }
                    continue;
                }
                session.eval_input(&line);
                refresh_completions(&session, &completions);
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    0
}
