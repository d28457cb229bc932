//! The seam between the Lisp runtime and a host language (Python): the [`Host`] trait that the
//! interop layer implements, and the values the runtime holds for it without knowing what they
//! are — [`HostRef`] (a handle to a host object), [`Lazy`] (an attribute chain not yet run) and
//! [`Pending`] (a call sent to a pipelining backend whose answer has not been read yet; it is
//! the root of a lazy chain, so every place that runs or forces chains also resolves it).
//!
//! The VM and the core builtins reach the host only through these: calling a host value,
//! forcing a lazy chain, pulling items from a host iterable, describing a handle. A VM without
//! a host ([`NoHost`]) runs the bare language; host values then never arise.

use crate::clock::Instant;
use crate::ids::HandleId;
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::value::{HostOp, Value};
use crate::runtime::Vm;
use crate::source::Span;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// What the runtime asks of the host language.
pub trait Host {
    /// For the host's own builtins, which need the concrete host behind a VM.
    fn as_any(&self) -> &dyn std::any::Any;
    /// A handle the Lisp side dropped: queue its release (no I/O here).
    fn release(&self, id: HandleId);
    /// `#<py numpy.ndarray h3 array(...)>` (readable) or `str(obj)` (display).
    fn describe(&self, r: &HostRef, readable: bool) -> String;
    /// Printing a lazy chain runs it (without Lisp callbacks).
    fn describe_lazy(&self, l: &Lazy, readable: bool) -> String;
    /// The host's type name of a handle (`type-of`).
    fn type_name(&self, r: &HostRef) -> String;
    /// Whether the exception object's class, or one it derives from, has this name.
    fn is_instance(&self, exception: &HostRef, class: &str) -> bool;
    /// The host's traceback of an exception object (empty if none).
    fn traceback(&self, exception: &HostRef) -> String;

    /// Calls a host callable (a handle or a lazy chain) with Lisp arguments.
    fn call(&self, vm: &mut Vm, callee: &Value, args: &[Value], span: Span) -> Result<Value, Exn>;
    /// `(target.path... args)` with the arguments on the stack from `base`, reusing what the
    /// call site resolved while its cache is valid.
    fn call_attr(
        &self,
        vm: &mut Vm,
        site: &SiteCache,
        target: Value,
        path: &[String],
        base: usize,
        span: Span,
    ) -> Result<Value, Exn>;
    /// `(set! (. target a b) v)`.
    fn set_attr(
        &self,
        vm: &mut Vm,
        target: Value,
        path: &[String],
        v: &Value,
        span: Span,
    ) -> Result<(), Exn>;
    /// The value of a lazy chain (a handle or a scalar); other values as they are.
    fn force(&self, vm: &mut Vm, v: &Value) -> Result<Value, Exn>;
    /// Items of a host iterable, at most `limit` of them.
    fn items(
        &self,
        vm: &mut Vm,
        v: &Value,
        limit: Option<usize>,
        span: Span,
    ) -> Result<Vec<Value>, Exn>;
    /// A builtin the host answers (`(get obj key)`, `(+ a 1)`, `(count obj)`): see `HostOp`.
    fn op(&self, vm: &mut Vm, op: HostOp, args: &[Value], span: Span) -> Result<Value, Exn>;
    /// Whether a host value is an iterator (single-pass): sequence functions stay lazy on it.
    fn is_iterator(&self, _vm: &mut Vm, _v: &Value) -> Result<bool, Exn> {
        Ok(false)
    }
    /// `(set! (get target key) v)`: `target[key] = v`.
    fn set_item(
        &self,
        vm: &mut Vm,
        target: &Value,
        key: &Value,
        v: &Value,
        span: Span,
    ) -> Result<(), Exn>;
    /// `(del (get target key))`.
    fn del_item(&self, vm: &mut Vm, target: &Value, key: &Value, span: Span) -> Result<(), Exn>;
    /// `(del (. target a b))`.
    fn del_attr(&self, vm: &mut Vm, target: Value, path: &[String], span: Span) -> Result<(), Exn>;
    /// Keeps the host attached for the rest of the top-level form (`batch`).
    fn attach(&self);
    /// Waits for every call still in flight (a pipelining backend); the first failure among
    /// them that has not been raised yet is raised now. Called where a Lisp program observes
    /// the world: before it prints, at the end of a `try` body and of each top-level form.
    fn settle(&self, _vm: &mut Vm) -> Result<(), Exn> {
        Ok(())
    }
    /// A pending call's value is no longer wanted (its last reference was dropped).
    fn forget(&self, _ticket: u64) {}
    /// Ctrl-C reached the Lisp while Python calls were in flight: interrupt them too.
    fn interrupt_calls(&self) {}
    /// The worker processes calls can be spread over (`pool-map`, `with-worker`); `None`:
    /// calls run in-process.
    fn worker_count(&self) -> Option<usize> {
        None
    }
    /// Pins the calls made from now on to worker `w` (`None`: unpinned); the previous pin.
    fn pin_worker(&self, _w: Option<usize>) -> Option<usize> {
        None
    }
    /// `pool-map` is about to call `f` on every worker: a host object is copied to each now,
    /// before the first item keeps its own worker busy.
    fn spread(&self, _vm: &mut Vm, _f: &Value) {}
    /// `(batch ...)`: calls issued until the matching [`Host::end_batch`] go out together.
    fn begin_batch(&self) {}
    fn end_batch(&self) {}
    /// Writes Lisp output to the host's own stdout when the host has redirected it (Python's
    /// `sys.stdout` replaced by `contextlib.redirect_stdout`, say); `None` when it has not, and
    /// the Lisp writes to its sink as usual.
    fn write_stdout(&self, _vm: &mut Vm, _text: &str) -> Option<Result<(), Exn>> {
        None
    }
}

/// A handle to a host object. Dropping the last Lisp reference queues its release.
pub struct HostRef {
    pub id: HandleId,
    pub host: Rc<dyn Host>,
}

impl std::fmt::Debug for HostRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostRef(h{})", self.id.index)
    }
}

impl Drop for HostRef {
    fn drop(&mut self) {
        self.host.release(self.id);
    }
}

/// What a lazy attribute chain starts from.
pub enum LazyRoot {
    Import(String),
    /// A handle, or a Lisp value converted when the chain runs (`(. "a,b" split)`).
    Value(Value),
    /// The answer of a call still in flight.
    Pending(Rc<Pending>),
}

impl Clone for LazyRoot {
    fn clone(&self) -> Self {
        match self {
            LazyRoot::Import(n) => LazyRoot::Import(n.clone()),
            LazyRoot::Value(v) => LazyRoot::Value(v.clone()),
            LazyRoot::Pending(p) => LazyRoot::Pending(p.clone()),
        }
    }
}

/// A call sent without waiting for its answer. Used as the target or an argument of another
/// call it is named by its ticket (the backend resolves it); used for anything else it is
/// resolved first (the host waits for the answer). Dropping it unresolved tells the host.
pub struct Pending {
    pub ticket: u64,
    pub state: RefCell<PendingState>,
    pub host: Rc<dyn Host>,
}

pub enum PendingState {
    InFlight,
    Ready(Value),
    Failed(Exn),
}

impl Pending {
    /// The pending value as a Lisp value: a lazy chain with no steps of its own.
    pub fn value(host: Rc<dyn Host>, ticket: u64, span: Span) -> Value {
        let p = Rc::new(Pending {
            ticket,
            state: RefCell::new(PendingState::InFlight),
            host: host.clone(),
        });
        Value::Lazy(Rc::new(Lazy::new(
            host,
            LazyRoot::Pending(p),
            Vec::new(),
            span,
        )))
    }

    pub fn in_flight(&self) -> bool {
        matches!(*self.state.borrow(), PendingState::InFlight)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.in_flight() {
            self.host.forget(self.ticket);
        }
    }
}

/// An attribute chain that has not run yet (`(. np linalg norm)`, `($py "numpy")`).
pub struct Lazy {
    pub root: LazyRoot,
    pub path: Vec<String>,
    /// The form that made it: where errors in its import or getattr steps are shown.
    pub span: Span,
    /// What the chain resolved to, for chains that start at an import (module and class
    /// attributes): a global bound to `(. ($py "math") sin)` resolves once, not per call.
    pub resolved: SiteCache,
    pub host: Rc<dyn Host>,
}

impl Lazy {
    pub fn new(host: Rc<dyn Host>, root: LazyRoot, path: Vec<String>, span: Span) -> Lazy {
        Lazy {
            root,
            path,
            span,
            resolved: SiteCache::default(),
            host,
        }
    }

    /// A pending call's value itself (no attribute steps after it).
    pub fn is_pending(&self) -> bool {
        self.path.is_empty() && matches!(self.root, LazyRoot::Pending(_))
    }

    /// `($py "name")`: the module, imported when first used.
    pub fn import(host: Rc<dyn Host>, name: &str, span: Span) -> Value {
        Value::Lazy(Rc::new(Lazy::new(
            host,
            LazyRoot::Import(name.to_string()),
            Vec::new(),
            span,
        )))
    }

    /// `(. target a b)`: extends a lazy chain, or starts one.
    pub fn attr(host: &Rc<dyn Host>, target: Value, path: Vec<String>, span: Span) -> Value {
        let (root, path) = match &target {
            Value::Lazy(l) => {
                let mut p = l.path.clone();
                p.extend(path);
                (l.root.clone(), p)
            }
            _ => (LazyRoot::Value(target), path),
        };
        Value::Lazy(Rc::new(Lazy::new(host.clone(), root, path, span)))
    }
}

/// A call site's memory of what its `(target.attr ...)` resolved to. The runtime only keeps
/// it; the host decides when an entry is valid.
#[derive(Default)]
pub struct SiteCache {
    pub entry: RefCell<Option<SiteEntry>>,
}

pub struct SiteEntry {
    /// The target value (kept alive so its address stays unique).
    pub target: Value,
    pub resolved: Value,
    /// The host's attribute epoch when resolved.
    pub epoch: u64,
    pub at: Instant,
    pub uses: Cell<u32>,
}

/// The host of a VM that has none: the bare language.
pub struct NoHost;

fn no_host(span: Span) -> Exn {
    LispError::new(
        ErrorKind::Host("PythonUnavailable".into()),
        "this engine has no Python backend",
    )
    .at(span)
}

impl Host for NoHost {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn release(&self, _id: HandleId) {}
    fn describe(&self, r: &HostRef, _readable: bool) -> String {
        format!("#<py h{}>", r.id.index)
    }
    fn describe_lazy(&self, _l: &Lazy, _readable: bool) -> String {
        "#<py chain>".into()
    }
    fn type_name(&self, _r: &HostRef) -> String {
        "py-object".into()
    }
    fn is_instance(&self, _e: &HostRef, _class: &str) -> bool {
        false
    }
    fn traceback(&self, _e: &HostRef) -> String {
        String::new()
    }
    fn call(&self, _vm: &mut Vm, _c: &Value, _a: &[Value], span: Span) -> Result<Value, Exn> {
        Err(no_host(span))
    }
    fn call_attr(
        &self,
        _vm: &mut Vm,
        _site: &SiteCache,
        _t: Value,
        _p: &[String],
        _base: usize,
        span: Span,
    ) -> Result<Value, Exn> {
        Err(no_host(span))
    }
    fn set_attr(
        &self,
        _vm: &mut Vm,
        _t: Value,
        _p: &[String],
        _v: &Value,
        span: Span,
    ) -> Result<(), Exn> {
        Err(no_host(span))
    }
    fn force(&self, _vm: &mut Vm, v: &Value) -> Result<Value, Exn> {
        match v {
            Value::Lazy(l) => Err(no_host(l.span)),
            other => Ok(other.clone()),
        }
    }
    fn items(
        &self,
        _vm: &mut Vm,
        _v: &Value,
        _l: Option<usize>,
        span: Span,
    ) -> Result<Vec<Value>, Exn> {
        Err(no_host(span))
    }
    fn op(&self, _vm: &mut Vm, _op: HostOp, _args: &[Value], span: Span) -> Result<Value, Exn> {
        Err(no_host(span))
    }
    fn set_item(
        &self,
        _vm: &mut Vm,
        _t: &Value,
        _k: &Value,
        _v: &Value,
        span: Span,
    ) -> Result<(), Exn> {
        Err(no_host(span))
    }
    fn del_item(&self, _vm: &mut Vm, _t: &Value, _k: &Value, span: Span) -> Result<(), Exn> {
        Err(no_host(span))
    }
    fn del_attr(&self, _vm: &mut Vm, _t: Value, _p: &[String], span: Span) -> Result<(), Exn> {
        Err(no_host(span))
    }
    fn attach(&self) {}
}
