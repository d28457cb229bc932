//! The chain IR: what the Lisp side asks of Python, independent of how it is executed.
//!
//! A [`ChainRequest`] is a short program of [`Step`]s run as one unit (one GIL hold embedded,
//! one message to a worker): `import numpy → getattr sum → call(a)`. A step's operands name the
//! results of earlier steps, live handles, or plain values. Everything here is plain `Send` data
//! that a codec can write to a pipe: no `Rc`, no pointers, no pyo3, no I/O and no spans (the
//! Lisp side keeps each step's span and maps a failing step index back to the Lisp form).
//! Typed-array memory is named by [`ArrayRef`] descriptors that the backend resolves.

use crate::buffer::DType;
use crate::ids::{BufferId, CallbackId, HandleId};

/// Values that cross the boundary by value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum WireValue {
    #[default]
    None,
    Bool(bool),
    Int(i64),
    /// An integer outside `i64`, as hexadecimal digits with a sign (`-1f4`): Python converts
    /// any size to and from base 16 (decimal strings stop at 4,300 digits).
    BigInt(String),
    Float(f64),
    Str(String),
    List(Vec<WireValue>),
    Tuple(Vec<WireValue>),
    /// Insertion-ordered key/value pairs.
    Dict(Vec<(WireValue, WireValue)>),
    Handle(HandleId),
    Callback(CallbackId),
    /// The result of an earlier step of the same request.
    Step(usize),
    /// The value of an earlier request sent without waiting (its ticket, see
    /// `Backend::submit`): the backend resolves it where the request runs.
    Pending(u64),
    /// Typed-array memory shared with Python without copying: reaches Python as a NumPy array
    /// over the same memory (a memoryview without NumPy); comes back from `->lisp`.
    Array(ArrayRef),
}

/// A typed array named by descriptor: which buffer, its element type and length, and for
/// `(as-nd a shape dtype)` the shape of the ndarray to make over it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayRef {
    pub buffer: BufferId,
    pub dtype: DType,
    pub len: usize,
    /// `None`: a 1-D array of `len` elements.
    pub shape: Option<Vec<usize>>,
}

/// One operation a backend performs. New Python semantics (operators, item assignment, ...)
/// are added here as steps, so that every backend executes them and the worker protocol
/// carries them unchanged.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `import name` (cached by the backend).
    Import(String),
    /// `getattr(target, name)`.
    GetAttr(WireValue, String),
    /// `target(*args, **kwargs)`.
    Call(WireValue, Vec<WireValue>, Vec<(String, WireValue)>),
    /// `target[key]`.
    GetItem(WireValue, WireValue),
    /// `setattr(target, name, value)`; evaluates to the value.
    SetAttr(WireValue, String, WireValue),
    /// `eval(source)` in the shared namespace.
    Eval(String),
    /// `exec(source)` in the shared namespace; evaluates to None.
    Exec(String),
    /// Runs an awaitable to completion (`asyncio.run` for coroutines); other values pass through.
    Await(WireValue),
    /// `iter(target)`.
    Iter(WireValue),
    /// Up to n more items from an iterator, as a list (empty when exhausted).
    Take(WireValue, usize),
    /// Deep conversion to plain values (lists, dicts, scalars; ndarrays stay handles).
    ToLisp(WireValue),
    /// Keep the value as a handle even if it is a scalar (`->py`).
    AsHandle(WireValue),
    /// `builtins.NAME`: Python's own `int`, `list`, `slice`, ...
    Builtin(String),
    /// A Python exception standing for a Lisp error: an instance of the builtin exception class
    /// of that name (`ZeroDivisionError`, `TypeError`...), else of `RuntimeError`.
    MakeException(String, String),
    /// Whether the value is an iterator (`iter(x) is x`): single-pass, maybe infinite, so the
    /// sequence functions stay lazy on it.
    IsIterator(WireValue),
    /// A lazy sequence function over iterators, as a Python iterator that pulls its input
    /// only as it is itself pulled: `(map f it)`, `(filter pred it)`... Operands as the Lisp
    /// function takes them (the function or count first, then the collections). A predicate's
    /// answer is read with the Lisp's truth (only None and False are false).
    LazySeq(LazySeqOp, Vec<WireValue>),
    /// The exception instance `throw` raises: the value if it is one, an instance if it is an
    /// exception class, else None.
    Throwable(WireValue),
    /// `a OP b` with Python's operator protocol (`__add__`, then `__radd__`).
    Binary(BinaryOp, WireValue, WireValue),
    /// `a OP1 b OP2 c ...` with Python's chained-comparison semantics: each pair compared in
    /// turn, stopping at the first result that is not true; the value is that result (or the
    /// last one).
    Compare(Comparison, Vec<WireValue>),
    /// `-a`, `~a`, `bool(a)`.
    Unary(UnaryOp, WireValue),
    /// `target[key] = value`; evaluates to the value.
    SetItem(WireValue, WireValue, WireValue),
    /// `del target[key]`; evaluates to None.
    DelItem(WireValue, WireValue),
    /// `delattr(target, name)`; evaluates to None.
    DelAttr(WireValue, String),
    /// `len(target)`.
    Len(WireValue),
    /// `item in container`, as (container, item).
    Contains(WireValue, WireValue),
    /// A shallow copy of a mapping or sequence with `copy[k] = v` for each pair (a list may grow
    /// by one at its end); the argument is never changed.
    Assoc(WireValue, Vec<(WireValue, WireValue)>),
    /// A shallow copy without these keys (missing keys are ignored).
    Dissoc(WireValue, Vec<WireValue>),
    /// A copy with the items added: appended to a list, added to a set, `(k, v)` pairs set in a
    /// mapping, concatenated to a tuple.
    Conj(WireValue, Vec<WireValue>),
}

macro_rules! step_operands {
    ($s:expr, $iter:ident) => {
        match $s {
            Step::Import(_)
            | Step::Eval(_)
            | Step::Exec(_)
            | Step::Builtin(_)
            | Step::MakeException(..) => Vec::new(),
            Step::GetAttr(t, _)
            | Step::Await(t)
            | Step::Iter(t)
            | Step::Take(t, _)
            | Step::ToLisp(t)
            | Step::AsHandle(t)
            | Step::IsIterator(t)
            | Step::Throwable(t)
            | Step::Unary(_, t)
            | Step::Len(t)
            | Step::DelAttr(t, _) => vec![t],
            Step::Call(t, args, kwargs) => {
                let mut v = vec![t];
                v.extend(args.$iter());
                v.extend(kwargs.$iter().map(|(_, x)| x));
                v
            }
            Step::GetItem(a, b)
            | Step::Binary(_, a, b)
            | Step::DelItem(a, b)
            | Step::Contains(a, b) => vec![a, b],
            Step::SetAttr(t, _, v) => vec![t, v],
            Step::SetItem(t, k, v) => vec![t, k, v],
            Step::LazySeq(_, xs) | Step::Compare(_, xs) => xs.$iter().collect(),
            Step::Assoc(t, pairs) => {
                let mut v = vec![t];
                for (k, x) in pairs.$iter() {
                    v.push(k);
                    v.push(x);
                }
                v
            }
            Step::Dissoc(t, xs) | Step::Conj(t, xs) => {
                let mut v = vec![t];
                v.extend(xs.$iter());
                v
            }
        }
    };
}

impl Step {
    /// The values a step takes (its target, arguments, keys...), as written: what a backend
    /// with several workers looks at to route the step.
    pub fn operands(&self) -> Vec<&WireValue> {
        step_operands!(self, iter)
    }

    /// [`Step::operands`], to rewrite them.
    pub fn operands_mut(&mut self) -> Vec<&mut WireValue> {
        step_operands!(self, iter_mut)
    }
}

/// The lazy sequence functions (see [`Step::LazySeq`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazySeqOp {
    Map,
    Filter,
    Remove,
    Keep,
    TakeWhile,
    DropWhile,
    Mapcat,
    Partition,
    Drop,
}

impl LazySeqOp {
    /// Its name in the worker protocol and the Python helpers.
    pub fn name(self) -> &'static str {
        match self {
            LazySeqOp::Map => "map",
            LazySeqOp::Filter => "filter",
            LazySeqOp::Remove => "remove",
            LazySeqOp::Keep => "keep",
            LazySeqOp::TakeWhile => "take_while",
            LazySeqOp::DropWhile => "drop_while",
            LazySeqOp::Mapcat => "mapcat",
            LazySeqOp::Partition => "partition",
            LazySeqOp::Drop => "drop",
        }
    }
}

/// Python's binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    TrueDiv,
    FloorDiv,
    Mod,
    Pow,
    MatMul,
    BitAnd,
    BitOr,
    BitXor,
    LShift,
    RShift,
}

/// Python's comparison operators (`Is` is identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Is,
}

/// Python's unary operators, and truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Invert,
    Truthy,
}

impl Step {
    /// Whether running the step may change attributes the call-site caches trust.
    pub fn may_change_attributes(&self) -> bool {
        matches!(
            self,
            Step::SetAttr(..) | Step::DelAttr(..) | Step::Exec(_) | Step::Eval(_)
        )
    }
}

/// How the result of the last step comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultMode {
    /// Scalars (None, bool, int, float, str, NumPy scalars) by value, the rest as handles.
    Auto,
    /// Always a handle.
    Handle,
    /// Deep conversion (`->lisp`).
    Deep,
    /// The result is a list; each item comes back as `Auto` would return it.
    Items,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChainRequest {
    pub steps: Vec<Step>,
    pub mode: ResultMode,
}

// The IR must stay transportable: a worker codec moves these across threads and pipes.
const _: () = {
    const fn send<T: Send + 'static>() {}
    send::<ChainRequest>();
    send::<WireValue>();
};
