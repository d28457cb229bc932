//! The [`Engine`]: everything one Lisp session has — its source texts, its VM and globals, its
//! Python side ([`Interop`], which owns the backend chosen through the bridge's factory), its
//! settings and its output sink — and the one evaluation path every front-end uses
//! ([`Engine::eval`] → [`EvalOutput`]). Text is evaluated form by form, so a macro defined by
//! one form is in force for the next (a top-level `do` is split the same way).
//!
//! Two engines can live in one process: each has its own globals, handles and Python
//! namespace.

pub mod complete;
pub mod config;
pub mod timing;

pub use crate::bridge::BackendKind;
pub use complete::Completer;
pub use config::EngineConfig;
pub use timing::Timing;

use crate::compile::meta::{self, run_form};
use crate::diagnostics::{self, RenderOptions};
use crate::interop::Interop;
use crate::reader::{Datum, DatumKind, Parser};
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::host::Lazy;
use crate::runtime::output::Output;
use crate::runtime::printer::readable;
use crate::runtime::value::Value;
use crate::runtime::Vm;
use crate::source::{SourceId, SourceMap, Span};
use crate::symbol::{intern, sym};
use std::rc::Rc;
use std::sync::Arc;

/// The prelude, written in the Lisp itself.
const PRELUDE: &str = include_str!("../../lisp/prelude.lisp");

/// The raw round trip to a worker process: `rounds` frames of `payload_len` bytes echoed back
/// undecoded (`polyglot bench`'s P8 floor); the time per round trip.
#[cfg(all(unix, feature = "workers"))]
pub fn workers_echo_floor(
    python: &std::path::Path,
    payload_len: usize,
    rounds: usize,
) -> Result<std::time::Duration, String> {
    crate::bridge::workers::echo_floor(python, payload_len, rounds)
}

/// Unanswered requests per worker by default (`--max-inflight`).
#[cfg(all(unix, feature = "workers"))]
pub const WORKERS_DEFAULT_MAX_INFLIGHT: usize = crate::bridge::workers::DEFAULT_MAX_INFLIGHT;

/// The in-process floor of pipelined calls (`polyglot bench`'s P9 baseline): the worker runtime
/// decodes and dispatches the frames in `frames` (recorded from a real session, see
/// `POLYGLOT_WORKER_RECORD`) in a loop, without pipes; messages handled and seconds taken.
#[cfg(all(unix, feature = "workers"))]
pub fn workers_replay(
    python: &std::path::Path,
    frames: &std::path::Path,
) -> Result<(u64, f64), String> {
    crate::bridge::workers::replay(python, frames)
}

/// Which values an evaluation prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// None (a script).
    Nothing,
    /// The last form's (`-e`, a notebook cell).
    Last,
    /// Every form's, as it is evaluated (the REPL).
    Each,
}

/// What evaluating a text gave.
#[derive(Debug)]
pub struct EvalOutput {
    /// The value of the last form, or the error that stopped the evaluation (later forms did
    /// not run).
    pub result: Result<Value, Exn>,
    /// The last value's printed (readable) form, when values are shown.
    pub printed: Option<String>,
    /// Every form's value, in order, when each is shown.
    pub values: Vec<Value>,
    pub timing: Timing,
}

impl EvalOutput {
    pub fn value(&self) -> Option<&Value> {
        self.result.as_ref().ok()
    }
    pub fn error(&self) -> Option<&LispError> {
        self.result.as_ref().err().map(|e| &**e)
    }
}

pub struct Engine {
    pub sources: SourceMap,
    pub vm: Vm,
    interop: Option<Rc<Interop>>,
    config: EngineConfig,
    timing: bool,
}

impl Engine {
    /// A new session: the core builtins, the interop builtins (unless Python is off), and the
    /// prelude. Python itself starts on first use.
    pub fn new(config: EngineConfig) -> Result<Engine, Exn> {
        config
            .validate()
            .map_err(|m| LispError::new(crate::runtime::error::ErrorKind::Value, m))?;
        let mut vm = Vm::new();
        meta::install(&mut vm);
        let interop = config.python_enabled.then(|| {
            let i = Interop::new(config.backend_config());
            vm.host = i.clone();
            for b in crate::interop::builtins::BUILTINS
                .iter()
                .chain(crate::interop::display::BUILTINS)
            {
                vm.define(b.name, Value::Builtin(b));
            }
            // `builtins.ValueError` and friends without an import.
            vm.define(
                "builtins",
                Lazy::import(vm.host.clone(), "builtins", Span::default()),
            );
            for name in crate::interop::builtins::PYTHON_GLOBALS {
                let builtins = Lazy::import(vm.host.clone(), "builtins", Span::default());
                let v = Lazy::attr(&vm.host, builtins, vec![name.to_string()], Span::default());
                vm.define(name, v);
            }
            i
        });
        vm.define("*argv*", Value::vector(vec![]));
        let mut e = Engine {
            sources: SourceMap::default(),
            vm,
            interop,
            config,
            timing: false,
        };
        e.vm.interruptible = false;
        let loaded = e.eval_quietly("<prelude>", PRELUDE);
        e.vm.interruptible = true;
        loaded.map(|_| e)
    }

    /// An engine with the default settings (embedded Python, started on first use).
    pub fn with_defaults() -> Result<Engine, Exn> {
        Engine::new(EngineConfig::default())
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The Python side, if this engine has one.
    pub fn interop(&self) -> Option<&Rc<Interop>> {
        self.interop.as_ref()
    }

    /// Runs `f` once the backend has started (the CLI reinstalls its SIGINT handler there,
    /// which starting CPython replaces).
    pub fn on_python_start(&mut self, f: Box<dyn Fn()>) {
        if let Some(i) = &self.interop {
            i.on_start(f);
        }
    }

    pub fn set_argv(&mut self, args: &[String]) {
        self.vm.define(
            "*argv*",
            Value::vector(args.iter().map(|a| Value::str(a)).collect()),
        );
    }

    /// Where Lisp printing — and, unless it is the process's own streams, Python's
    /// `sys.stdout`/`sys.stderr` — goes from now on.
    pub fn set_output(&mut self, out: Arc<dyn Output>) {
        if let Some(i) = &self.interop {
            i.set_output(out.clone());
        }
        self.vm.out = out;
    }

    pub fn output(&self) -> &Arc<dyn Output> {
        &self.vm.out
    }

    /// Measure time inside Python and in the bridge (the total is always measured).
    pub fn set_timing(&mut self, on: bool) {
        self.timing = on;
        if let Some(i) = &self.interop {
            i.set_timing(on);
        }
    }

    pub fn timing(&self) -> bool {
        self.timing
    }

    /// Evaluates every form of `text` (named `name` in diagnostics) and shows the last value.
    pub fn eval(&mut self, name: &str, text: &str) -> EvalOutput {
        self.eval_with(name, text, Show::Last, &mut |_, _| {})
    }

    /// Evaluates every form of `text`; `each` gets every shown value with its printed form as
    /// soon as its form is done (before the next form runs, so output stays in order).
    pub fn eval_with(
        &mut self,
        name: &str,
        text: &str,
        show: Show,
        each: &mut dyn FnMut(&Value, &str),
    ) -> EvalOutput {
        let id = self.sources.add(name, text);
        let before = self.stats();
        let started = timing::now();
        let mut values = Vec::new();
        let mut printed = None;
        let mut result = Ok(Value::Nil);
        let text = self.source_text(id);
        let mut parser = Parser::new(&text, id);
        loop {
            let form = match parser.next_form() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    result = Err(LispError::from_read(e));
                    break;
                }
            };
            let r = self.eval_form(&form);
            let r = match show {
                Show::Each => r.and_then(|v| self.vm.force(&v)),
                _ => r,
            };
            match r {
                Ok(v) => {
                    if show == Show::Each {
                        let p = readable(&v);
                        each(&v, &p);
                        values.push(v.clone());
                        printed = Some(p);
                    }
                    result = Ok(v);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if show == Show::Last {
            // A lazy chain is printed by running it: run it here, so a failure is an error.
            result = result.and_then(|v| {
                let v = self.vm.force(&v)?;
                let p = readable(&v);
                each(&v, &p);
                printed = Some(p);
                Ok(v)
            });
            self.detach();
        }
        self.vm.out.flush();
        let timing = Timing::between(timing::elapsed(started), before, self.stats());
        EvalOutput {
            result,
            printed,
            values,
            timing,
        }
    }

    /// Evaluates `text` without showing anything; the last value.
    pub fn eval_quietly(&mut self, name: &str, text: &str) -> Result<Value, Exn> {
        self.eval_with(name, text, Show::Nothing, &mut |_, _| {})
            .result
    }

    fn source_text(&self, id: SourceId) -> std::sync::Arc<str> {
        self.sources
            .get(id)
            .map_or_else(|| "".into(), |s| s.text.clone())
    }

    /// Evaluates one top-level form; `(do a b)` at top level runs `a` before reading `b`'s macros.
    fn eval_form(&mut self, form: &Datum) -> Result<Value, Exn> {
        if let DatumKind::List(items) = &form.kind {
            if items.first().and_then(Datum::as_symbol) == Some(sym::DO) && items.len() > 1 {
                let mut last = Value::Nil;
                for f in &items[1..] {
                    last = self.eval_form(f)?;
                }
                return Ok(last);
            }
        }
        let r = run_form(&mut self.vm, form);
        // Python calls still in flight (a pipelining backend) end with the form: a failure
        // among them is the form's error, even if nothing used its value (and it came before
        // any Lisp error the form raised later).
        let r = match r {
            Ok(v) => self.vm.settle().map(|()| v),
            Err(e) => {
                // Ctrl-C stops the Python call running ahead of the Lisp as well.
                if matches!(e.kind, ErrorKind::Interrupt) {
                    self.vm.host.interrupt_calls();
                }
                Err(self.vm.settle().err().unwrap_or(e))
            }
        };
        self.detach();
        r
    }

    /// Lets other Python threads run (between forms, and while a front-end waits for input).
    pub fn detach(&self) {
        if let Some(i) = &self.interop {
            i.detach();
        }
    }

    fn stats(&self) -> crate::bridge::backend::Stats {
        self.interop.as_ref().map(|i| i.stats()).unwrap_or_default()
    }

    /// Whether Python has started in this session.
    pub fn python_started(&self) -> bool {
        self.interop.as_ref().is_some_and(|i| i.started())
    }

    /// The value of a global, if bound.
    pub fn global(&self, name: &str) -> Option<Value> {
        self.vm.global_value(intern(name))
    }

    pub fn define(&mut self, name: &str, v: Value) {
        self.vm.define(name, v);
    }

    /// Names of all bound globals and special forms (completion).
    pub fn names(&self) -> Vec<String> {
        self.vm
            .bound_names()
            .into_iter()
            .map(|s| s.name().to_string())
            .chain(crate::symbol::SPECIAL_FORMS.iter().map(|s| s.to_string()))
            .collect()
    }

    /// Completion of Python attributes, usable while the engine is busy elsewhere.
    pub fn completer(&self) -> Completer {
        Completer::new(self.interop.clone())
    }

    /// What `:doc NAME` shows: what the name is bound to (special form, builtin and its doc,
    /// macro, function and its arity, or the value's type) and its docstring.
    pub fn doc_text(&self, name: &str) -> String {
        let text = if crate::symbol::SPECIAL_FORMS.contains(&name) {
            format!("{name}: special form (see the book's language reference)\n")
        } else {
            match self.vm.global_value(intern(name)) {
                Some(Value::Builtin(b)) => format!("{name}: builtin\n  {}\n", b.doc),
                Some(Value::Macro(_)) => format!("{name}: macro\n"),
                Some(Value::Func(ref f)) => format!(
                    "{name}: function taking {}\n",
                    crate::runtime::describe_arity(
                        f.proto.nparams,
                        if f.proto.rest {
                            None
                        } else {
                            Some(f.proto.nparams)
                        }
                    )
                ),
                Some(v) => format!("{name}: {}\n", v.type_name()),
                None => format!("{name}: not bound\n"),
            }
        };
        match self.vm.doc(intern(name)) {
            Some(doc) => format!("{text}  {doc}\n"),
            None => text,
        }
    }

    /// The MIME bundle of a value as JSON text (`{"data": {...}, "metadata": {...}}`): a
    /// Python object's rich representations (HTML, PNG, …), else its printed form.
    pub fn mime_bundle(&mut self, v: &Value) -> String {
        let bundle = crate::interop::display::bundle_of(&mut self.vm, v)
            .unwrap_or_else(|_| crate::interop::display::text_bundle(&readable(v)));
        self.detach();
        bundle
    }

    /// The open matplotlib figures as a JSON list of PNG bundles, closing them.
    pub fn take_figures(&mut self) -> String {
        let figures =
            crate::interop::display::take_figures(&mut self.vm).unwrap_or_else(|_| "[]".into());
        self.detach();
        figures
    }

    /// What inspecting a Python value shows (type, value, signature, docstring).
    pub fn inspect_python(&mut self, v: &Value) -> Result<String, Exn> {
        let v = self.vm.force(v)?;
        let text = crate::interop::display::inspect_text(&mut self.vm, &v, 0);
        self.detach();
        text
    }

    /// Routes Python's `input()` and `getpass.getpass()` to `ask`, a Lisp function of
    /// `(prompt password?)` (a notebook asks its front-end). Starts Python.
    pub fn route_input(&mut self, ask: Value) -> Result<(), Exn> {
        let r = crate::interop::display::install_input(&mut self.vm, ask);
        self.detach();
        r
    }

    /// A snapshot of what completion offers now (names, and the globals bound to Python
    /// values); the front-end adds its commands.
    pub fn completions(&self) -> complete::Completions {
        complete::Completions {
            names: self.names(),
            commands: Vec::new(),
            python: self
                .vm
                .bound_names()
                .into_iter()
                .filter_map(|s| {
                    let v = self.vm.global_value(s)?;
                    v.is_host().then_some((s.name().to_string(), v))
                })
                .collect(),
            completer: self.completer(),
        }
    }

    /// Python handles held right now: index, type and short repr (`:handles`).
    pub fn handles(&self) -> Vec<(u32, String, String)> {
        self.interop
            .as_ref()
            .map_or_else(Vec::new, |i| i.list_handles())
    }

    /// The backend's workers (pid, state, in flight, handles, restarts), for `:workers`;
    /// empty in-process.
    pub fn workers(&self) -> Vec<crate::bridge::backend::WorkerRow> {
        self.interop
            .as_ref()
            .map_or_else(Vec::new, |i| i.worker_rows())
    }

    pub fn render(&self, e: &LispError, opts: &RenderOptions) -> String {
        diagnostics::render(e, &self.sources, opts)
    }

    /// Ends the session at process exit: flushes the output sink, drops every Lisp value (so
    /// the Python objects they held are freed), then shuts Python down — `atexit` handlers run
    /// and open files are flushed and closed, as when CPython itself exits. The interpreter is
    /// one per process and cannot start again, so call this only when the process is about to
    /// end. `Some(status)` when the shutdown itself failed (CPython's 120).
    pub fn shutdown(self) -> Option<i32> {
        let finalize = self.finalizer();
        drop(self);
        finalize()
    }

    /// The exit status an uncaught Python `SystemExit` asks for, as CPython gives it: `code`
    /// None → 0, an integer → itself, anything else → printed to stderr, 1. `None` for any other
    /// error.
    pub fn exit_status(&mut self, e: &LispError) -> Option<i32> {
        if !matches!(&e.kind, ErrorKind::Host(_)) || !self.vm.error_matches(e, "SystemExit") {
            return None;
        }
        let exception = Value::Host(e.host_exception.clone()?);
        let code = Lazy::attr(
            &self.vm.host,
            exception,
            vec!["code".into()],
            Span::default(),
        );
        let status = match self.vm.force(&code) {
            Ok(Value::Nil) => 0,
            Ok(Value::Bool(b)) => i32::from(b),
            // Too large for the C `int` CPython converts it to: its -1.
            Ok(Value::Int(i)) => i32::try_from(i).unwrap_or(-1),
            Ok(Value::Big(_)) => -1,
            Ok(other) => {
                let text = format!("{}\n", crate::runtime::printer::display(&other));
                self.vm
                    .out
                    .write(crate::runtime::output::Stream::Stderr, &text);
                1
            }
            Err(_) => 1,
        };
        self.detach();
        Some(status)
    }

    /// [`Engine::shutdown`] for a front-end that hands the engine away (the REPL consumes it):
    /// taken before, run after the engine is dropped. Flushes the output sink, then shuts down
    /// Python if this session started it.
    pub fn finalizer(&self) -> Box<dyn FnOnce() -> Option<i32>> {
        let out = self.vm.out.clone();
        let interop = self.interop.clone();
        Box::new(move || {
            out.flush();
            let interop = interop.filter(|i| i.started())?;
            // Started: this hands back the running backend (it starts nothing).
            let status = interop.backend().ok()?.shutdown();
            // What Python's exit work printed through the sink (a worker's, the page's).
            out.flush();
            status
        })
    }
}
