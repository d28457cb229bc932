//! The [`Engine`]: the facade the REPL, the CLI and the tests use. It owns the source texts and
//! the VM, loads the prelude, and evaluates text form by form (so a macro defined by one form is
//! in force for the next; a top-level `do` is split the same way).

use crate::compile::meta::{self, run_form};
use crate::diagnostics::{self, RenderOptions};
use crate::reader::{Datum, DatumKind, Parser};
use crate::runtime::error::{Exn, LispError};
use crate::runtime::symbol::sym;
use crate::runtime::value::Value;
use crate::runtime::Vm;
use crate::source::{SourceId, SourceMap};

/// The prelude, written in the Lisp itself.
const PRELUDE: &str = include_str!("../lisp/prelude.lisp");

pub struct Engine {
    pub sources: SourceMap,
    pub vm: Vm,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        let mut e = Engine {
            sources: SourceMap::default(),
            vm: Vm::new(),
        };
        meta::install(&mut e.vm);
        e.vm.define("*argv*", Value::vector(vec![]));
        e.vm.interruptible = false;
        let loaded = e.eval_str("<prelude>", PRELUDE);
        e.vm.interruptible = true;
        if let Err(err) = loaded {
            // The prelude ships inside the binary; failing to load it is a bug in this build.
            panic!(
                "prelude failed to load:\n{}",
                e.render(&err, &RenderOptions::plain())
            );
        }
        e
    }

    pub fn set_argv(&mut self, args: &[String]) {
        self.vm.define(
            "*argv*",
            Value::vector(args.iter().map(|a| Value::str(a)).collect()),
        );
    }

    /// Adds a source text and evaluates every form in it; the value of the last form.
    pub fn eval_str(&mut self, name: &str, text: &str) -> Result<Value, Exn> {
        let id = self.sources.add(name, text);
        self.eval_source(id)
    }

    pub fn eval_source(&mut self, id: SourceId) -> Result<Value, Exn> {
        let text = self
            .sources
            .get(id)
            .map(|s| s.text.clone())
            .unwrap_or_default();
        let mut parser = Parser::new(&text, id);
        let mut last = Value::Nil;
        while let Some(form) = parser.next_form().map_err(LispError::from_read)? {
            last = self.eval_form(&form)?;
        }
        Ok(last)
    }

    /// Evaluates one top-level form; `(do a b)` at top level runs `a` before reading `b`'s macros.
    pub fn eval_form(&mut self, form: &Datum) -> Result<Value, Exn> {
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
        crate::runtime::py::detach();
        r
    }

    pub fn render(&self, e: &LispError, opts: &RenderOptions) -> String {
        diagnostics::render(e, &self.sources, opts)
    }
}
