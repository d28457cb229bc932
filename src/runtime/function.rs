//! Compiled functions as the VM runs them: a [`Proto`] (made once by the compiler) holds the body
//! [`Code`] and the frame layout; a [`Frame`] is a running call's view of its slots on the value
//! stack and of its closure's captured values.

use crate::runtime::error::Exn;
use crate::runtime::value::{List, Value};
use crate::runtime::Vm;
use crate::source::Span;
use crate::symbol::Sym;

/// The view a running function has of its own frame.
pub struct Frame<'a> {
    pub base: usize,
    pub captures: &'a [Value],
}

pub type Code = Box<dyn Fn(&mut Vm, &Frame) -> Result<Value, Exn>>;

/// Where a new closure takes each captured value from, in the frame that creates it.
#[derive(Debug, Clone, Copy)]
pub enum CaptureFrom {
    Slot(usize),
    Capture(usize),
}

/// A compiled function, shared by every closure made from it.
pub struct Proto {
    pub name: Option<Sym>,
    pub nparams: usize,
    pub rest: bool,
    pub frame_size: usize,
    /// Parameter slots to wrap in cells on entry (captured and mutated parameters).
    pub boxed_params: Vec<usize>,
    pub captures: Vec<CaptureFrom>,
    pub body: Code,
    pub span: Span,
    /// A top-level form's thunk: not shown in stack traces.
    pub toplevel: bool,
}

impl Proto {
    pub fn display_name(&self) -> String {
        self.name
            .map_or_else(|| "fn".to_string(), |n| n.name().to_string())
    }
}

/// Collects the arguments past the fixed ones into the rest parameter's list.
pub(crate) fn rest_list(items: Vec<Value>) -> Value {
    if items.is_empty() {
        Value::Nil
    } else {
        Value::List(List::from_vec(items))
    }
}
