//! Python values on the Lisp side, and the glue to the bridge.
//!
//! A [`PyRef`] is a handle: dropping the last Lisp reference only queues the release (the
//! backend frees the object under the GIL at its next request). A [`Lazy`] is an attribute chain
//! not yet executed (`(. np linalg norm)`, `($py "numpy")`): calling it, printing it or
//! converting it runs the whole chain — import, getattrs, call — as one request.
//!
//! Values become [`WireValue`]s here; a Python failure becomes a `LispError` labelled at the
//! form whose step raised, with Python's traceback attached.

pub mod builtins;
mod calls;
mod describe;

pub use calls::{call, call_attr, SiteCache};
pub use describe::{
    describe, describe_lazy, dir_of, is_instance, list_handles, live_handles, traceback, type_name,
};

use crate::bridge::handles::ReleaseQueue;
use crate::bridge::ir::*;
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::printer;
use crate::runtime::value::{List, Map, Value};
use crate::runtime::Vm;
use crate::source::Span;
use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A Python object held by the Lisp side.
pub struct PyRef {
    pub id: HandleId,
    queue: ReleaseQueue,
}

impl std::fmt::Debug for PyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PyRef(h{})", self.id.index)
    }
}

impl Drop for PyRef {
    fn drop(&mut self) {
        self.queue.push(self.id);
    }
}

/// What a lazy attribute chain starts from.
pub enum LazyRoot {
    Import(String),
    /// A handle, or a Lisp value converted when the chain runs (`(. "a,b" split)`).
    Value(Value),
}

/// An attribute chain that has not run yet.
pub struct Lazy {
    pub root: LazyRoot,
    pub path: Vec<String>,
    /// The form that made it: where errors in its import or getattr steps are shown.
    pub span: Span,
    /// What the chain resolved to, for chains that start at an import (module and class
    /// attributes): a global bound to `(. ($py "math") sin)` resolves once, not per call.
    resolved: SiteCache,
}

impl Lazy {
    pub fn new(root: LazyRoot, path: Vec<String>, span: Span) -> Lazy {
        Lazy {
            root,
            path,
            span,
            resolved: SiteCache::default(),
        }
    }
}

/// How to start Python when it is first needed.
#[derive(Clone, Debug, Default)]
pub struct PySettings {
    pub python: Option<PathBuf>,
    pub attr_cache_ttl: Option<Duration>,
}

thread_local! {
    static SETTINGS: RefCell<PySettings> = RefCell::new(PySettings::default());
    static BACKEND: RefCell<Option<Rc<dyn Backend>>> = const { RefCell::new(None) };
    static TIMING: Cell<bool> = const { Cell::new(false) };
    static BRIDGE_NANOS: Cell<u64> = const { Cell::new(0) };
    /// Bumped by every request that may change attributes (setattr, exec, eval): call-site
    /// caches of resolved functions are only trusted within one epoch.
    static EPOCH: Cell<u64> = const { Cell::new(0) };
}

pub fn epoch() -> u64 {
    EPOCH.with(|e| e.get())
}

/// Default time to live of cached module and class attributes.
const DEFAULT_TTL_NANOS: u64 = 1_000_000_000;

thread_local! {
    /// `--attr-cache-ttl`, kept apart from the settings: call sites read it on every call.
    static TTL_NANOS: Cell<u64> = const { Cell::new(DEFAULT_TTL_NANOS) };
}

fn attr_ttl() -> Duration {
    Duration::from_nanos(TTL_NANOS.with(|t| t.get()))
}

pub fn configure(settings: PySettings) {
    let ttl = settings
        .attr_cache_ttl
        .map_or(DEFAULT_TTL_NANOS, |d| d.as_nanos() as u64);
    TTL_NANOS.with(|t| t.set(ttl));
    SETTINGS.with(|s| *s.borrow_mut() = settings);
}

/// Whether Python has been started (the REPL shows Python timings only then).
pub fn started() -> bool {
    BACKEND.with(|b| b.borrow().is_some())
}

/// Measure time spent in Python and in the bridge (the REPL's timing line).
pub fn set_timing(on: bool) {
    TIMING.with(|t| t.set(on));
    #[cfg(feature = "embedded")]
    if let Some(e) = embedded() {
        e.set_timing(on);
    }
}

/// The embedded backend itself (for what is not in the `Backend` trait: attaching, timing).
#[cfg(feature = "embedded")]
fn embedded() -> Option<Rc<crate::bridge::embedded::EmbeddedBackend>> {
    EMBEDDED.with(|e| e.borrow().clone())
}

#[cfg(feature = "embedded")]
thread_local! {
    static EMBEDDED: RefCell<Option<Rc<crate::bridge::embedded::EmbeddedBackend>>> = const { RefCell::new(None) };
}

/// Requests made, nanoseconds inside Python, nanoseconds in the bridge (conversion, dispatch).
pub fn stats() -> Stats {
    let mut s = BACKEND
        .with(|b| b.borrow().clone())
        .map(|b| b.stats())
        .unwrap_or_default();
    s.bridge_nanos = BRIDGE_NANOS
        .with(|n| n.get())
        .saturating_sub(s.python_nanos);
    s
}

/// The interpreter of the chosen environment (`--python`, `$VIRTUAL_ENV`, `python3`).
pub fn python_executable(explicit: Option<&std::path::Path>) -> Result<PathBuf, String> {
    #[cfg(feature = "embedded")]
    {
        crate::bridge::embedded::choose_python(explicit)
    }
    #[cfg(not(feature = "embedded"))]
    {
        Ok(explicit.map_or_else(|| PathBuf::from("python3"), |p| p.to_path_buf()))
    }
}

/// The backend, started on first use.
pub fn backend() -> Result<Rc<dyn Backend>, Exn> {
    if let Some(b) = BACKEND.with(|b| b.borrow().clone()) {
        return Ok(b);
    }
    let b = start()?;
    BACKEND.with(|slot| *slot.borrow_mut() = Some(b.clone()));
    Ok(b)
}

#[cfg(feature = "embedded")]
fn start() -> Result<Rc<dyn Backend>, Exn> {
    let settings = SETTINGS.with(|s| s.borrow().clone());
    let ttl = attr_ttl();
    let b = crate::bridge::embedded::EmbeddedBackend::start(settings.python.as_deref(), ttl)
        .map_err(|msg| LispError::new(ErrorKind::Python("PythonUnavailable".into()), msg))?;
    // The interpreter's setup replaced the process's SIGINT handler; put ours back.
    crate::runtime::interrupt::install();
    let b = Rc::new(b);
    b.set_timing(TIMING.with(|t| t.get()));
    EMBEDDED.with(|e| *e.borrow_mut() = Some(b.clone()));
    Ok(b)
}

#[cfg(not(feature = "embedded"))]
fn start() -> Result<Rc<dyn Backend>, Exn> {
    Err(LispError::new(
        ErrorKind::Python("PythonUnavailable".into()),
        "this polyglot was built without the embedded Python backend",
    ))
}

/// Lisp callbacks as the bridge calls them.
struct VmHost<'a> {
    vm: &'a mut Vm,
}

impl CallbackHost for VmHost<'_> {
    fn call(
        &mut self,
        id: CallbackId,
        args: Vec<WireValue>,
        kwargs: Vec<(String, WireValue)>,
    ) -> Result<WireValue, CallbackFailure> {
        let Some(f) = self.vm.callbacks.get(&id.0).cloned() else {
            return Err(CallbackFailure::Lisp(format!(
                "Lisp function #{} is gone",
                id.0
            )));
        };
        let lisp_failure =
            |e: Exn| CallbackFailure::Lisp(format!("{}: {}", e.kind.type_name(), e.message));
        let queue = backend().map_err(lisp_failure)?.release_queue();
        let mut lisp_args: Vec<Value> = args.into_iter().map(|w| from_wire(w, &queue)).collect();
        if !kwargs.is_empty() {
            let mut m = Map::new();
            for (k, v) in kwargs {
                m.insert(
                    Value::Keyword(crate::runtime::symbol::intern(&k)),
                    from_wire(v, &queue),
                );
            }
            lisp_args.push(Value::Map(Rc::new(m)));
        }
        // Python's own frames ran on this stack since the last check: make room before the Lisp
        // goes on (deep Lisp ↔ Python recursion would otherwise overflow it).
        let vm = &mut *self.vm;
        let result = stacker::maybe_grow(1024 * 1024, 8 * 1024 * 1024, || vm.apply(&f, lisp_args));
        match result {
            Ok(v) => {
                let mut steps = Vec::new();
                let w = to_wire(self.vm, &v, &mut steps, &mut Vec::new(), Span::default())
                    .map_err(lisp_failure)?;
                if steps.is_empty() {
                    Ok(w)
                } else {
                    // A lazy chain returned by a callback: run it now.
                    let v = force(self.vm, &v).map_err(lisp_failure)?;
                    to_wire(
                        self.vm,
                        &v,
                        &mut Vec::new(),
                        &mut Vec::new(),
                        Span::default(),
                    )
                    .map_err(lisp_failure)
                }
            }
            Err(e) if e.kind == ErrorKind::Interrupt => Err(CallbackFailure::Interrupt),
            Err(e) => match &e.python_exception {
                Some(exc) => Err(CallbackFailure::Python(exc.id)),
                None => Err(lisp_failure(e)),
            },
        }
    }

    fn release_callback(&mut self, id: CallbackId) {
        self.vm.callbacks.remove(&id.0);
    }
}

/// A returned value on the Lisp side.
pub fn from_wire(w: WireValue, queue: &ReleaseQueue) -> Value {
    match w {
        WireValue::None => Value::Nil,
        WireValue::Bool(b) => Value::Bool(b),
        WireValue::Int(i) => Value::Int(i),
        WireValue::BigInt(d) => d.parse().map(Value::from_bigint).unwrap_or(Value::Nil),
        WireValue::Float(f) => Value::Float(f),
        WireValue::Str(s) => Value::Str(Rc::new(s)),
        WireValue::List(items) | WireValue::Tuple(items) => {
            Value::vector(items.into_iter().map(|i| from_wire(i, queue)).collect())
        }
        WireValue::Dict(pairs) => {
            let mut m = Map::with_capacity(pairs.len());
            for (k, v) in pairs {
                m.insert(from_wire(k, queue), from_wire(v, queue));
            }
            Value::Map(Rc::new(m))
        }
        WireValue::Handle(id) => Value::Py(Rc::new(PyRef {
            id,
            queue: queue.clone(),
        })),
        WireValue::Array(b) | WireValue::ArrayView(b, _) => Value::Array(b),
        WireValue::Callback(_) | WireValue::Step(_) => Value::Nil,
    }
}

/// Appends the steps that compute `lazy` and returns the operand naming its result.
fn lazy_steps(
    vm: &mut Vm,
    lazy: &Lazy,
    steps: &mut Vec<Step>,
    spans: &mut Vec<Span>,
) -> Result<WireValue, Exn> {
    let mut cur = match &lazy.root {
        LazyRoot::Import(name) => {
            steps.push(Step::Import(name.clone()));
            spans.push(lazy.span);
            WireValue::Step(steps.len() - 1)
        }
        LazyRoot::Value(v) => to_wire(vm, v, steps, spans, lazy.span)?,
    };
    for attr in &lazy.path {
        steps.push(Step::GetAttr(cur, attr.clone()));
        spans.push(lazy.span);
        cur = WireValue::Step(steps.len() - 1);
    }
    Ok(cur)
}

/// A Lisp value as an operand; lazy chains add their steps to the same request.
pub fn to_wire(
    vm: &mut Vm,
    v: &Value,
    steps: &mut Vec<Step>,
    spans: &mut Vec<Span>,
    span: Span,
) -> Result<WireValue, Exn> {
    Ok(match v {
        Value::Nil => WireValue::None,
        Value::Bool(b) => WireValue::Bool(*b),
        Value::Int(i) => WireValue::Int(*i),
        Value::Big(b) => WireValue::BigInt(b.to_string()),
        Value::Float(f) => WireValue::Float(*f),
        Value::Str(s) => WireValue::Str(s.to_string()),
        Value::Symbol(s) | Value::Keyword(s) => WireValue::Str(s.name().to_string()),
        Value::List(l) => WireValue::List(
            l.iter()
                .map(|x| to_wire(vm, x, steps, spans, span))
                .collect::<Result<_, _>>()?,
        ),
        Value::Vector(items) => WireValue::List(
            items
                .iter()
                .map(|x| to_wire(vm, x, steps, spans, span))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let mut pairs = Vec::with_capacity(m.len());
            for (k, x) in m.iter() {
                pairs.push((
                    to_wire(vm, k, steps, spans, span)?,
                    to_wire(vm, x, steps, spans, span)?,
                ));
            }
            WireValue::Dict(pairs)
        }
        Value::Py(r) => WireValue::Handle(r.id),
        Value::PyLazy(l) => lazy_steps(vm, l, steps, spans)?,
        Value::Array(b) => WireValue::Array(b.clone()),
        Value::Func(_) | Value::Builtin(_) => {
            let id = vm.next_callback;
            vm.next_callback = vm.next_callback.wrapping_add(1);
            vm.callbacks.insert(id, v.clone());
            WireValue::Callback(CallbackId(id))
        }
        Value::Cell(c) => {
            let inner = c.borrow().clone();
            to_wire(vm, &inner, steps, spans, span)?
        }
        other => {
            return Err(LispError::new(
                ErrorKind::Type,
                format!(
                    "{} cannot be passed to Python",
                    printer::type_and_preview(other)
                ),
            )
            .at(span))
        }
    })
}

/// Runs a request; a Python failure becomes a `LispError` at the span of the step that raised.
pub fn run(vm: &mut Vm, steps: Vec<Step>, spans: &[Span], mode: ResultMode) -> Result<Value, Exn> {
    let b = match backend() {
        Ok(b) => b,
        Err(e) => {
            return Err(match spans.first() {
                Some(s) => e.at(*s),
                None => e,
            })
        }
    };
    let timing = TIMING.with(|t| t.get());
    let started = timing.then(Instant::now);
    crate::runtime::builtins::core::flush_stdout_if_pending();
    if steps
        .iter()
        .any(|s| matches!(s, Step::SetAttr(..) | Step::Exec(_) | Step::Eval(_)))
    {
        EPOCH.with(|e| e.set(e.get() + 1));
    }
    let req = ChainRequest { steps, mode };
    let r = b.execute(&req, &mut VmHost { vm });
    let out = match r {
        Ok(w) => Ok(from_wire(w, &b.release_queue())),
        Err(f) => Err(failure_to_error(*f, spans)),
    };
    if let Some(t) = started {
        BRIDGE_NANOS.with(|n| n.set(n.get() + t.elapsed().as_nanos() as u64));
    }
    out
}

pub fn failure_to_error(f: PyFailure, spans: &[Span]) -> Exn {
    let span = spans.get(f.step).or(spans.last()).copied();
    let kind = if f.interrupt {
        ErrorKind::Interrupt
    } else {
        ErrorKind::Python(f.type_name.clone())
    };
    let message = if f.message.is_empty() && f.interrupt {
        "interrupted".to_string()
    } else {
        f.message
    };
    let mut e = LispError::new(kind, message);
    if let Some(s) = span {
        e = e.at(s);
    }
    if let (Some(id), Some(b)) = (f.exception, BACKEND.with(|b| b.borrow().clone())) {
        e.python_exception = Some(Rc::new(PyRef {
            id,
            queue: b.release_queue(),
        }));
    }
    e
}

/// Runs a single-operand step (`Await`, `Iter`, `ToLisp`...) on `v`.
pub fn unary(
    vm: &mut Vm,
    v: &Value,
    make: impl FnOnce(WireValue) -> Step,
    mode: ResultMode,
    span: Span,
) -> Result<Value, Exn> {
    let mut steps = Vec::new();
    let mut spans = Vec::new();
    let w = to_wire(vm, v, &mut steps, &mut spans, span)?;
    steps.push(make(w));
    spans.push(span);
    run(vm, steps, &spans, mode)
}

/// The value of a lazy chain (a handle or a scalar); other values as they are.
pub fn force(vm: &mut Vm, v: &Value) -> Result<Value, Exn> {
    match v {
        Value::PyLazy(l) => {
            let span = l.span;
            unary(vm, v, Step::AsHandle, ResultMode::Auto, span)
        }
        other => Ok(other.clone()),
    }
}

/// `(. target a b)`: extends a lazy chain, or starts one.
pub fn attr(target: Value, path: Vec<String>, span: Span) -> Value {
    match &target {
        Value::PyLazy(l) => {
            let mut p = l.path.clone();
            p.extend(path);
            let root = match &l.root {
                LazyRoot::Import(n) => LazyRoot::Import(n.clone()),
                LazyRoot::Value(v) => LazyRoot::Value(v.clone()),
            };
            Value::PyLazy(Rc::new(Lazy::new(root, p, span)))
        }
        _ => Value::PyLazy(Rc::new(Lazy::new(
            LazyRoot::Value(target.clone()),
            path,
            span,
        ))),
    }
}

/// `(set! (. target a b) v)`: one request, getattr `a` then setattr `b`.
pub fn set_attr(
    vm: &mut Vm,
    target: Value,
    path: &[String],
    v: &Value,
    span: Span,
) -> Result<(), Exn> {
    let Some((last, init)) = path.split_last() else {
        return Ok(());
    };
    let mut steps = Vec::new();
    let mut spans = Vec::new();
    let mut t = to_wire(vm, &target, &mut steps, &mut spans, span)?;
    for a in init {
        steps.push(Step::GetAttr(t, a.clone()));
        spans.push(span);
        t = WireValue::Step(steps.len() - 1);
    }
    let w = to_wire(vm, v, &mut steps, &mut spans, span)?;
    steps.push(Step::SetAttr(t, last.clone(), w));
    spans.push(span);
    run(vm, steps, &spans, ResultMode::Auto).map(|_| ())
}

/// Runs `f` with the interpreter attached throughout (`batch`): the requests inside share one
/// hold instead of attaching one by one.
pub fn hold<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "embedded")]
    if let Some(e) = embedded() {
        return e.hold(f);
    }
    f()
}

/// Between top-level forms: let other Python threads run.
pub fn detach() {
    #[cfg(feature = "embedded")]
    if let Some(e) = embedded() {
        e.detach();
    }
}

pub fn import(name: &str, span: Span) -> Value {
    Value::PyLazy(Rc::new(Lazy::new(
        LazyRoot::Import(name.to_string()),
        Vec::new(),
        span,
    )))
}

/// Items of a Python iterable, at most `limit` of them (`take` pulls only what it needs).
pub fn items(vm: &mut Vm, v: &Value, limit: Option<usize>, span: Span) -> Result<Vec<Value>, Exn> {
    let it = unary(vm, v, Step::Iter, ResultMode::Handle, span)?;
    let mut out = Vec::new();
    loop {
        let want = match limit {
            Some(l) if out.len() >= l => break,
            Some(l) => (l - out.len()).min(4096),
            None => 4096,
        };
        let chunk = unary(vm, &it, |w| Step::Take(w, want), ResultMode::Items, span)?;
        let Value::Vector(ref chunk) = chunk else {
            break;
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        out.extend(chunk.iter().cloned());
        vm.check_interrupt()?;
        if n < want {
            break;
        }
    }
    Ok(out)
}

/// Lists built from Python sequences (`->lisp`) are vectors; this is for `seq`-style callers.
pub fn as_list(items: Vec<Value>) -> Value {
    Value::List(List::from_vec(items))
}
