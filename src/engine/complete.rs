//! Completion for front-ends (the REPL's TAB, a kernel's `complete_request`): Lisp names, and
//! attributes of Python values. A [`Completer`] is detached from the engine's borrow, so a line
//! editor can hold it while the engine evaluates.

use crate::interop::Interop;
use crate::runtime::host::Lazy;
use crate::runtime::value::Value;
use crate::source::Span;
use std::rc::Rc;

/// Answers "what can follow `np.li`?" for one engine.
#[derive(Clone, Default)]
pub struct Completer {
    interop: Option<Rc<Interop>>,
}

impl Completer {
    pub(crate) fn new(interop: Option<Rc<Interop>>) -> Completer {
        Completer { interop }
    }

    /// Attribute names of `value.path...` (`dir()`); may start Python, never runs what is
    /// being typed.
    pub fn attributes(&self, value: &Value, path: Vec<String>) -> Vec<String> {
        let Some(i) = &self.interop else {
            return Vec::new();
        };
        let target = if path.is_empty() {
            value.clone()
        } else {
            let host: Rc<dyn crate::runtime::host::Host> = i.clone();
            Lazy::attr(&host, value.clone(), path, Span::default())
        };
        i.dir_of(&target)
    }
}
