//! The interactive REPL: a thin loop over the line editor, the engine and the command table.
//! Every error is shown and the loop goes on; Ctrl-C clears the line (or interrupts a running
//! evaluation); Ctrl-D leaves. History is kept in the XDG data directory.

mod commands;
mod helper;

pub use helper::{colorize, input_state};

use crate::diagnostics::RenderOptions;
use crate::engine::{Engine, Show, Timing};
use crate::runtime::error::{ErrorKind, LispError};
use crate::runtime::output::Stream;
use crate::runtime::value::Value;
use helper::{Completions, ReplHelper};
use owo_colors::OwoColorize;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config as EditorConfig, Editor};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;

/// The REPL's own settings (the engine's come from `EngineConfig`).
#[derive(Clone, Debug)]
pub struct ReplOptions {
    /// Show a timing line after each evaluation.
    pub timing: bool,
    pub render: RenderOptions,
}

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
        let out = self.engine.output();
        out.write(Stream::Stdout, text);
        out.flush();
    }

    pub fn err(&self, text: &str) {
        self.engine.output().write(Stream::Stderr, text);
    }

    /// Evaluates one submitted input; prints each form's value as it is done, or the error.
    /// `Some(status)` when the input asked to leave (`sys.exit`).
    pub fn eval_input(&mut self, input: &str) -> Option<i32> {
        self.count += 1;
        let name = format!("<repl:{}>", self.count);
        let out = self.engine.output().clone();
        let color = self.color;
        let mut cut = false;
        let result = self
            .engine
            .eval_with(&name, input, Show::Each, &mut |_, shown| {
                if out.mid_line() {
                    out.write(Stream::Stdout, "\n");
                }
                if crate::runtime::interrupt::INTERRUPTED.load(Ordering::SeqCst) {
                    // Ctrl-C while the value was being formatted: show none of it.
                    cut = true;
                    return;
                }
                let shown = if color && shown.len() <= COLOR_LIMIT {
                    helper::colorize(shown, None)
                } else {
                    shown.to_string()
                };
                if !write_interruptibly(&*out, &shown) {
                    cut = true;
                }
            });
        if cut {
            // The flag stays set until the prompt (the loop clears it), so the rest of this
            // input's forms stop too.
            out.write(Stream::Stdout, "\n");
            out.flush();
            self.err("KeyboardInterrupt: printing stopped\n");
        }
        for v in result.values {
            self.remember_value(v);
        }
        if let Err(e) = result.result {
            out.flush();
            if let Some(status) = self.engine.exit_status(&e) {
                // `sys.exit(n)` ends the REPL with that status, as in Python's.
                return Some(status);
            }
            self.show_error(&e);
            self.engine.define("*e", Value::Error(Rc::new(*e)));
        }
        if self.timing {
            self.show_timing(&result.timing);
        }
        None
    }

    /// `*1`, `*2`, `*3`: the last three values shown (as in Clojure's REPL).
    fn remember_value(&mut self, v: Value) {
        let get = |e: &Engine, n: &str| e.global(n).unwrap_or_default();
        let (one, two) = (get(&self.engine, "*1"), get(&self.engine, "*2"));
        self.engine.define("*3", two);
        self.engine.define("*2", one);
        self.engine.define("*1", v);
    }

    fn show_error(&self, e: &LispError) {
        if e.kind == ErrorKind::Interrupt {
            // The terminal echoed ^C without a newline.
            self.err("\n");
        }
        self.err(&self.engine.render(e, &self.render));
    }

    fn show_timing(&self, timing: &Timing) {
        let line = timing.line();
        if self.color {
            self.err(&format!("{}\n", line.dimmed()));
        } else {
            self.err(&format!("{line}\n"));
        }
    }
}

/// Values longer than this are shown without colour (colouring is a second pass over the text).
const COLOR_LIMIT: usize = 1 << 20;

/// How much of a shown value is written between two looks at the interrupt flag.
const CHUNK: usize = 64 * 1024;

/// Writes `text` and a newline in chunks, stopping at a Ctrl-C; false if it stopped.
fn write_interruptibly(out: &dyn crate::runtime::output::Output, text: &str) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        if crate::runtime::interrupt::INTERRUPTED.load(Ordering::SeqCst) {
            return false;
        }
        let mut end = rest.len().min(CHUNK);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        out.write(Stream::Stdout, chunk);
        out.flush();
        rest = tail;
    }
    out.write(Stream::Stdout, "\n");
    out.flush();
    true
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
    let mut c = session.engine.completions();
    c.commands = commands::COMMANDS
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    *completions.borrow_mut() = c;
}

pub fn run(mut engine: Engine, options: &ReplOptions) -> i32 {
    let color = std::io::stdout().is_terminal() && options.render.color;
    let timing = options.timing;
    engine.set_timing(timing);
    let mut session = Session {
        engine,
        timing,
        render: options.render.clone(),
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
        session.engine.define(name, Value::Nil);
    }
    session.out(&format!(
        "polyglot {} — a Lisp for Python. :help for help, Ctrl-D to quit.\n",
        env!("CARGO_PKG_VERSION")
    ));
    loop {
        // A Ctrl-C pressed while the previous evaluation was ending must not stop the next one;
        // one pressed after Enter (before evaluation starts) must.
        crate::runtime::interrupt::clear();
        session.engine.detach();
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
                if let Some(status) = session.eval_input(&line) {
                    return status;
                }
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
