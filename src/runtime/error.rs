//! [`LispError`]: every error raised while analyzing or running Lisp code, whether it came from
//! the Lisp itself or from Python. It carries the span of the form that raised it and the Lisp
//! call stack it unwound through, so the diagnostic can point at both.

use crate::reader::ReadError;
use crate::runtime::value::Value;
use crate::source::Span;

/// The kind of an error: decides its stable diagnostic code and the name `error-type` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    Read(ReadError),
    /// A special form used wrongly: `(if)`, `(let [a] ...)`.
    Syntax,
    /// A symbol with no binding.
    Unbound,
    Arity,
    Type,
    Value,
    ZeroDivision,
    Overflow,
    /// An allocation that cannot be had (`(float64array 10000000000000)`).
    Memory,
    Index,
    Key,
    /// `(throw ...)` from Lisp code.
    Thrown,
    Recursion,
    Interrupt,
    Io,
    /// An exception raised by Python; the class name (`"ValueError"`).
    Host(String),
}

impl ErrorKind {
    /// What `(error-type e)` gives: a Python class name, or a Lisp error kind.
    pub fn type_name(&self) -> &str {
        match self {
            ErrorKind::Read(_) => "ReadError",
            ErrorKind::Syntax => "SyntaxError",
            ErrorKind::Unbound => "NameError",
            ErrorKind::Arity => "ArityError",
            ErrorKind::Type => "TypeError",
            ErrorKind::Value => "ValueError",
            ErrorKind::ZeroDivision => "ZeroDivisionError",
            ErrorKind::Overflow => "OverflowError",
            ErrorKind::Memory => "MemoryError",
            ErrorKind::Index => "IndexError",
            ErrorKind::Key => "KeyError",
            ErrorKind::Thrown => "LispError",
            ErrorKind::Recursion => "RecursionError",
            ErrorKind::Interrupt => "KeyboardInterrupt",
            ErrorKind::Io => "OSError",
            ErrorKind::Host(name) => name,
        }
    }

    /// Stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Read(_) => "polyglot::read",
            ErrorKind::Syntax => "polyglot::syntax::bad_form",
            ErrorKind::Unbound => "polyglot::eval::unbound",
            ErrorKind::Arity => "polyglot::eval::arity",
            ErrorKind::Type => "polyglot::eval::type",
            ErrorKind::Value => "polyglot::eval::value",
            ErrorKind::ZeroDivision => "polyglot::eval::zero_division",
            ErrorKind::Overflow => "polyglot::eval::overflow",
            ErrorKind::Memory => "polyglot::eval::memory",
            ErrorKind::Index => "polyglot::eval::index",
            ErrorKind::Key => "polyglot::eval::key",
            ErrorKind::Thrown => "polyglot::eval::thrown",
            ErrorKind::Recursion => "polyglot::eval::recursion_depth",
            ErrorKind::Interrupt => "polyglot::eval::interrupted",
            ErrorKind::Io => "polyglot::eval::io",
            ErrorKind::Host(_) => "polyglot::python::exception",
        }
    }
}

/// One entry of the Lisp call stack shown under a runtime error.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceFrame {
    pub function: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct LispError {
    pub kind: ErrorKind,
    pub message: String,
    /// The form that raised it, once known (builtins raise without one; the call site fills it).
    pub span: Option<Span>,
    pub help: Option<String>,
    /// Innermost call first.
    pub trace: Vec<TraceFrame>,
    /// What `(throw v)` threw, when it was not a plain message.
    pub payload: Option<Value>,
    /// The host's formatted traceback, for errors that came from Python.
    pub host_traceback: Option<String>,
    /// The host exception object (its traceback is formatted when the error is shown).
    pub host_exception: Option<std::rc::Rc<crate::runtime::host::HostRef>>,
}

impl LispError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Box<LispError> {
        Box::new(LispError {
            kind,
            message: message.into(),
            span: None,
            help: None,
            trace: Vec::new(),
            payload: None,
            host_traceback: None,
            host_exception: None,
        })
    }

    /// Labels the error at `span` unless it has a place already. The default span is no
    /// place (a call from outside the Lisp's source, e.g. a Lisp function Python calls): the
    /// error stays open for the form that called into Python.
    pub fn at(mut self: Box<Self>, span: Span) -> Box<LispError> {
        if self.span.is_none() && span != Span::default() {
            self.span = Some(span);
        }
        self
    }

    pub fn with_help(mut self: Box<Self>, help: impl Into<String>) -> Box<LispError> {
        self.help = Some(help.into());
        self
    }

    pub fn from_read(e: ReadError) -> Box<LispError> {
        let span = e.span();
        let message = e.to_string();
        LispError::new(ErrorKind::Read(e), message).at(span)
    }

    /// Errors that `try` does not catch: the user asked to stop.
    /// The host's traceback for an error that came from the host (formatted on demand).
    pub fn host_traceback_text(&self) -> Option<String> {
        if let Some(t) = &self.host_traceback {
            return Some(t.clone());
        }
        let r = self.host_exception.as_ref()?;
        let tb = r.host.traceback(r);
        // A bare "KeyboardInterrupt" line says nothing the diagnostic does not.
        if tb.is_empty() || (self.kind == ErrorKind::Interrupt && !tb.contains("File ")) {
            return None;
        }
        Some(tb)
    }

    pub fn is_uncatchable(&self) -> bool {
        self.kind == ErrorKind::Interrupt
    }
}

pub type Exn = Box<LispError>;

/// Shorthands used all over the builtins.
pub fn type_error(message: impl Into<String>) -> Exn {
    LispError::new(ErrorKind::Type, message)
}

pub fn arity_error(message: impl Into<String>) -> Exn {
    LispError::new(ErrorKind::Arity, message)
}

pub fn syntax_error(message: impl Into<String>, span: Span) -> Exn {
    LispError::new(ErrorKind::Syntax, message).at(span)
}
