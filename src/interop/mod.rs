//! The Lisp side of Python: the [`Interop`] state an engine owns (its backend, started on first
//! use through the bridge's factory; settings; timing; the attribute epoch), which implements
//! the runtime's [`Host`] trait. Handles ([`HostRef`]) and lazy chains ([`Lazy`]) point back at
//! it, so two engines in one process never share Python state.
//!
//! Values become [`WireValue`]s here; a Python failure becomes a `LispError` labelled at the
//! form whose step raised, with Python's traceback attached (formatted only when shown).

pub mod builtins;
mod calls;
mod describe;
pub mod display;
mod ops;
mod pipeline;

use crate::bridge::backend::{
    Backend, CallbackFailure, CallbackHost, OutputHook, PyFailure, Stats,
};
use crate::bridge::ir::*;
use crate::bridge::BackendConfig;
use crate::clock::Instant;
use crate::ids::CallbackId;
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::host::{Host, HostRef, Lazy, LazyRoot, SiteCache};
use crate::runtime::output::{Output, Stream};
use crate::runtime::printer;
use crate::runtime::value::{Map, Value};
use crate::runtime::Vm;
use crate::source::Span;
use crate::symbol::python_name;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;

/// The Python side of one engine.
pub struct Interop {
    me: Weak<Interop>,
    config: BackendConfig,
    backend: RefCell<Option<Rc<dyn Backend>>>,
    timing: Cell<bool>,
    bridge_nanos: Cell<u64>,
    /// Bumped by every request that may change attributes (setattr, exec, eval): call-site
    /// caches of resolved functions are only trusted within one epoch.
    epoch: Cell<u64>,
    /// Where captured Python output goes (none: Python writes to the process's streams).
    output: RefCell<Option<OutputHook>>,
    /// Called once the backend has started (the CLI puts its SIGINT handler back).
    on_start: RefCell<Option<Box<dyn Fn()>>>,
    /// Lisp errors raised inside callbacks during this top-level form (see `keep_lisp_error`).
    lisp_errors: RefCell<Vec<Exn>>,
    /// The rich-display helper module is loaded in this session's Python.
    display_loaded: Cell<bool>,
    /// Calls in flight on a pipelining backend (see `pipeline`).
    pipeline: RefCell<pipeline::Pipeline>,
}

impl Interop {
    pub fn new(config: BackendConfig) -> Rc<Interop> {
        Rc::new_cyclic(|me| Interop {
            me: me.clone(),
            config,
            backend: RefCell::new(None),
            timing: Cell::new(false),
            bridge_nanos: Cell::new(0),
            epoch: Cell::new(0),
            output: RefCell::new(None),
            on_start: RefCell::new(None),
            lisp_errors: RefCell::new(Vec::new()),
            display_loaded: Cell::new(false),
            pipeline: RefCell::new(pipeline::Pipeline::default()),
        })
    }

    /// This interop as the runtime's host (for the handles and chains it makes).
    fn host(&self) -> Rc<dyn Host> {
        self.me
            .upgrade()
            .expect("an Interop is only used through its Rc")
    }

    /// The interop behind a VM's host (`None` for a VM without Python).
    pub fn of(vm: &Vm) -> Option<Rc<Interop>> {
        let host = vm.host.clone();
        host.as_any().downcast_ref::<Interop>()?.me.upgrade()
    }

    pub fn on_start(&self, f: Box<dyn Fn()>) {
        *self.on_start.borrow_mut() = Some(f);
    }

    /// Whether Python has been started (the REPL shows Python timings only then).
    pub fn started(&self) -> bool {
        self.backend.borrow().is_some()
    }

    /// Measure time spent in Python and in the bridge (the timing line).
    pub fn set_timing(&self, on: bool) {
        self.timing.set(on);
        if let Some(b) = self.backend.borrow().as_ref() {
            b.set_timing(on);
        }
    }

    /// Sends Python's `sys.stdout`/`sys.stderr` to `out`, unless `out` is the process's own
    /// streams (Python then writes to them directly).
    pub fn set_output(&self, out: Arc<dyn Output>) {
        let hook: Option<OutputHook> = (!out.is_process_stdio()).then(|| {
            let hook: OutputHook = Arc::new(move |s, text: &str| {
                let stream = match s {
                    crate::bridge::backend::Stream::Stdout => Stream::Stdout,
                    crate::bridge::backend::Stream::Stderr => Stream::Stderr,
                };
                out.write(stream, text)
            });
            hook
        });
        *self.output.borrow_mut() = hook.clone();
        if let Some(b) = self.backend.borrow().as_ref() {
            b.set_output(hook);
        }
    }

    /// Requests made, nanoseconds inside Python, nanoseconds in the bridge.
    pub fn stats(&self) -> Stats {
        let mut s = self
            .backend
            .borrow()
            .as_ref()
            .map(|b| b.stats())
            .unwrap_or_default();
        s.bridge_nanos = self.bridge_nanos.get().saturating_sub(s.python_nanos);
        s
    }

    fn epoch(&self) -> u64 {
        self.epoch.get()
    }

    /// The backend, started on first use.
    pub fn backend(&self) -> Result<Rc<dyn Backend>, Exn> {
        if let Some(b) = self.backend.borrow().as_ref() {
            return Ok(b.clone());
        }
        let b = crate::bridge::start(&self.config)
            .map_err(|msg| LispError::new(ErrorKind::Host("PythonUnavailable".into()), msg))?;
        b.set_timing(self.timing.get());
        if let Some(hook) = self.output.borrow().clone() {
            b.set_output(Some(hook));
        }
        *self.backend.borrow_mut() = Some(b.clone());
        if let Some(f) = self.on_start.borrow().as_ref() {
            f();
        }
        Ok(b)
    }

    /// Between top-level forms: let other Python threads run.
    pub fn detach(&self) {
        self.lisp_errors.borrow_mut().clear();
        if let Some(b) = self.backend.borrow().as_ref() {
            b.detach();
        }
    }

    /// A returned value on the Lisp side.
    fn value_of_wire(&self, w: WireValue, b: &Rc<dyn Backend>) -> Value {
        match w {
            WireValue::None => Value::Nil,
            WireValue::Bool(x) => Value::Bool(x),
            WireValue::Int(i) => Value::Int(i),
            WireValue::BigInt(hex) => num_bigint::BigInt::parse_bytes(hex.as_bytes(), 16)
                .map_or(Value::Nil, Value::from_bigint),
            WireValue::Float(f) => Value::Float(f),
            WireValue::Str(s) => Value::Str(Rc::new(s)),
            WireValue::List(items) | WireValue::Tuple(items) => Value::vector(
                items
                    .into_iter()
                    .map(|i| self.value_of_wire(i, b))
                    .collect(),
            ),
            WireValue::Dict(pairs) => {
                let mut m = Map::with_capacity(pairs.len());
                for (k, v) in pairs {
                    m.insert(self.value_of_wire(k, b), self.value_of_wire(v, b));
                }
                Value::Map(Rc::new(m))
            }
            WireValue::Handle(id) => Value::Host(Rc::new(HostRef {
                id,
                host: self.host(),
            })),
            WireValue::Array(r) => b.claim_buffer(&r).map_or(Value::Nil, Value::Array),
            WireValue::Callback(_) | WireValue::Step(_) | WireValue::Pending(_) => Value::Nil,
        }
    }

    /// Appends the steps that compute `lazy` and returns the operand naming its result.
    fn lazy_steps(
        &self,
        vm: &mut Vm,
        lazy: &Lazy,
        steps: &mut Vec<Step>,
        spans: &mut Vec<Span>,
    ) -> Result<WireValue, Exn> {
        let cur = match &lazy.root {
            LazyRoot::Import(name) => {
                steps.push(Step::Import(name.clone()));
                spans.push(lazy.span);
                WireValue::Step(steps.len() - 1)
            }
            LazyRoot::Value(v) => self.to_wire(vm, v, steps, spans, lazy.span)?,
            LazyRoot::Pending(p) => self.pending_operand(vm, p)?,
        };
        Ok(getattrs(cur, &lazy.path, steps, spans, lazy.span))
    }

    /// A Lisp value as an operand; lazy chains add their steps to the same request.
    fn to_wire(
        &self,
        vm: &mut Vm,
        v: &Value,
        steps: &mut Vec<Step>,
        spans: &mut Vec<Span>,
        span: Span,
    ) -> Result<WireValue, Exn> {
        if let Some(w) = plain(v) {
            return Ok(w);
        }
        self.to_wire_nested(vm, v, steps, spans, span, 0)
    }

    /// `to_wire` for a value `depth` collections deep.
    fn to_wire_nested(
        &self,
        vm: &mut Vm,
        v: &Value,
        steps: &mut Vec<Step>,
        spans: &mut Vec<Span>,
        span: Span,
        depth: usize,
    ) -> Result<WireValue, Exn> {
        if let Some(w) = plain(v) {
            return Ok(w);
        }
        if depth >= MAX_CONVERSION_DEPTH {
            return Err(LispError::new(
                ErrorKind::Recursion,
                format!(
                    "Lisp data nested deeper than {MAX_CONVERSION_DEPTH} levels cannot be passed to Python"
                ),
            )
            .at(span));
        }
        let d = depth + 1;
        Ok(match v {
            Value::Big(b) => WireValue::BigInt(b.to_str_radix(16)),
            Value::Symbol(s) | Value::Keyword(s) => WireValue::Str(s.name().to_string()),
            Value::List(l) => WireValue::List(
                l.iter()
                    .map(|x| self.to_wire_nested(vm, x, steps, spans, span, d))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Vector(items) => WireValue::List(
                items
                    .iter()
                    .map(|x| self.to_wire_nested(vm, x, steps, spans, span, d))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => {
                let mut pairs = Vec::with_capacity(m.len());
                for (k, x) in m.iter() {
                    pairs.push((
                        self.to_wire_nested(vm, k, steps, spans, span, d)?,
                        self.to_wire_nested(vm, x, steps, spans, span, d)?,
                    ));
                }
                WireValue::Dict(pairs)
            }
            Value::Lazy(l) => self.lazy_steps(vm, l, steps, spans)?,
            // A caught error is its Python exception object; a Lisp error becomes a Python
            // exception of the builtin class of the same name (`ZeroDivisionError`...), so
            // `contextlib.suppress` and `except` clauses see what Python would.
            Value::Error(e) => match &e.host_exception {
                Some(exc) => WireValue::Handle(exc.id),
                None => {
                    let name = e.kind.type_name().to_string();
                    steps.push(Step::MakeException(name, e.message.clone()));
                    spans.push(span);
                    WireValue::Step(steps.len() - 1)
                }
            },
            Value::Array(b) => WireValue::Array(self.backend()?.lend_buffer(b, None)),
            // Lisp builtins named like Python's types mean Python's when passed to Python.
            Value::Builtin(b) if PYTHON_NAMED.contains(&b.name) => {
                steps.push(Step::Builtin(b.name.to_string()));
                spans.push(span);
                WireValue::Step(steps.len() - 1)
            }
            Value::Func(_) | Value::Builtin(_) => {
                let id = vm.next_callback;
                vm.next_callback = vm.next_callback.wrapping_add(1);
                vm.callbacks.insert(id, v.clone());
                WireValue::Callback(CallbackId(id))
            }
            Value::Cell(c) => {
                let inner = c.borrow().clone();
                self.to_wire_nested(vm, &inner, steps, spans, span, d)?
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

    /// Runs a request; a Python failure becomes a `LispError` at the span of the step that
    /// raised.
    pub fn run(
        &self,
        vm: &mut Vm,
        steps: Vec<Step>,
        spans: &[Span],
        mode: ResultMode,
    ) -> Result<Value, Exn> {
        let b = match self.backend() {
            Ok(b) => b,
            Err(e) => {
                return Err(match spans.first() {
                    Some(s) => e.at(*s),
                    None => e,
                })
            }
        };
        self.run_on(vm, &b, steps, spans, mode, false)
    }

    /// Runs a request on `b`; a call (`pipelined`) is only submitted, if `b` pipelines.
    fn run_on(
        &self,
        vm: &mut Vm,
        b: &Rc<dyn Backend>,
        steps: Vec<Step>,
        spans: &[Span],
        mode: ResultMode,
        pipelined: bool,
    ) -> Result<Value, Exn> {
        let started = self.timing.get().then(Instant::now);
        vm.out.flush();
        if steps.iter().any(Step::may_change_attributes) {
            self.epoch.set(self.epoch.get() + 1);
        }
        let req = ChainRequest { steps, mode };
        if pipelined {
            if let Some(r) = self.submit(vm, b, &req, spans) {
                self.add_bridge_time(started);
                return r;
            }
        }
        // Waiting for this answer reads those of the calls before it: a failure among them
        // comes first (this request was then skipped).
        self.raise_failure(vm, b)?;
        let r = b.execute(&req, &mut VmHost { vm, interop: self });
        self.collect(b);
        self.raise_failure(vm, b)?;
        let out = match r {
            Ok(w) => Ok(self.value_of_wire(w, b)),
            Err(f) => Err(self.failure_to_error(*f, spans)),
        };
        self.add_bridge_time(started);
        out
    }

    fn add_bridge_time(&self, started: Option<Instant>) {
        if let Some(t) = started {
            self.bridge_nanos
                .set(self.bridge_nanos.get() + t.elapsed().as_nanos() as u64);
        }
    }

    /// Keeps a Lisp error raised by a callback, for when it comes back out of Python; the
    /// token Python's exception carries. Kept until the end of the top-level form.
    fn keep_lisp_error(&self, e: Exn) -> u64 {
        let mut kept = self.lisp_errors.borrow_mut();
        kept.push(e);
        kept.len() as u64
    }

    fn failure_to_error(&self, f: PyFailure, spans: &[Span]) -> Exn {
        if let Some(tok) = f.lisp_error {
            let kept = self.lisp_errors.borrow();
            if let Some(e) = (tok as usize).checked_sub(1).and_then(|i| kept.get(i)) {
                // The callback's own error, as it was raised in the Lisp; one raised by a
                // builtin Python called directly has no place yet: the form that called Python.
                let e = Box::new((**e).clone());
                return match spans.get(f.step).or(spans.last()) {
                    Some(s) => e.at(*s),
                    None => e,
                };
            }
        }
        let span = spans.get(f.step).or(spans.last()).copied();
        let kind = if f.interrupt {
            ErrorKind::Interrupt
        } else {
            ErrorKind::Host(f.type_name.clone())
        };
        let message = if f.message.is_empty() && f.interrupt {
            "interrupted".to_string()
        } else {
            f.message
        };
        let lisp_function = message.contains("<Lisp function");
        let mut e = LispError::new(kind, message);
        if let Some(s) = span {
            e = e.at(s);
        }
        if lisp_function {
            // `(np.zeros 3 :dtype my-fn)`: Python wanted a type and got a Lisp function.
            e = e.with_help(
                "Python got a Lisp function where it wanted a type or a value: pass a Python \
                 type (`int float str bool list dict set tuple` are Python's when passed to \
                 Python; others as `builtins.NAME` or `(. ($py \"numpy\") float32)`)",
            );
        }
        if let Some(id) = f.exception {
            e.host_exception = Some(Rc::new(HostRef {
                id,
                host: self.host(),
            }));
        }
        e
    }

    /// Runs a single-operand step (`Await`, `Iter`, `ToLisp`...) on `v`.
    pub fn unary(
        &self,
        vm: &mut Vm,
        v: &Value,
        make: impl FnOnce(WireValue) -> Step,
        mode: ResultMode,
        span: Span,
    ) -> Result<Value, Exn> {
        let mut steps = Vec::new();
        let mut spans = Vec::new();
        let w = self.to_wire(vm, v, &mut steps, &mut spans, span)?;
        steps.push(make(w));
        spans.push(span);
        self.run(vm, steps, &spans, mode)
    }
}

/// How deeply nested Lisp data may be to be converted for Python (as the backends' own limit).
const MAX_CONVERSION_DEPTH: usize = 1000;

/// Lisp builtins that stand for Python's builtins of the same name when passed to Python
/// (`(np.zeros 3 :dtype int)`, `(collections.defaultdict list)`).
const PYTHON_NAMED: &[&str] = &[
    "int", "float", "str", "bool", "list", "dict", "set", "tuple",
];

/// Scalars and handles: operands that need no conversion work (the hot path of calls).
fn plain(v: &Value) -> Option<WireValue> {
    Some(match v {
        Value::Nil => WireValue::None,
        Value::Bool(b) => WireValue::Bool(*b),
        Value::Int(i) => WireValue::Int(*i),
        Value::Float(f) => WireValue::Float(*f),
        Value::Str(s) => WireValue::Str(s.to_string()),
        Value::Host(r) => WireValue::Handle(r.id),
        _ => return None,
    })
}

/// Appends `getattr` steps along `path` from `cur`; the operand naming the last.
fn getattrs(
    mut cur: WireValue,
    path: &[String],
    steps: &mut Vec<Step>,
    spans: &mut Vec<Span>,
    span: Span,
) -> WireValue {
    for attr in path {
        steps.push(Step::GetAttr(cur, attr.clone()));
        spans.push(span);
        cur = WireValue::Step(steps.len() - 1);
    }
    cur
}

/// Lisp callbacks as the bridge calls them.
struct VmHost<'a> {
    vm: &'a mut Vm,
    interop: &'a Interop,
}

impl CallbackHost for VmHost<'_> {
    fn call(
        &mut self,
        id: CallbackId,
        args: Vec<WireValue>,
        kwargs: Vec<(String, WireValue)>,
    ) -> Result<WireValue, CallbackFailure> {
        let Some(f) = self.vm.callbacks.get(&id.0).cloned() else {
            return Err(CallbackFailure::Lisp {
                message: format!("Lisp function #{} is gone", id.0),
                token: 0,
            });
        };
        let lisp_failure = |e: Exn| CallbackFailure::Lisp {
            message: format!("{}: {}", e.kind.type_name(), e.message),
            token: self.interop.keep_lisp_error(e),
        };
        let interop = self.interop;
        let b = interop.backend().map_err(lisp_failure)?;
        let mut lisp_args: Vec<Value> = args
            .into_iter()
            .map(|w| interop.value_of_wire(w, &b))
            .collect();
        if !kwargs.is_empty() {
            let mut m = Map::new();
            for (k, v) in kwargs {
                m.insert(
                    Value::Keyword(crate::symbol::intern_dynamic(&k)),
                    interop.value_of_wire(v, &b),
                );
            }
            lisp_args.push(Value::Map(Rc::new(m)));
        }
        // Python's own frames ran on this stack since the last check: make room before the Lisp
        // goes on (deep Lisp ↔ Python recursion would otherwise overflow it).
        let vm = &mut *self.vm;
        let result = crate::stack::guarded(|| vm.apply(&f, lisp_args));
        match result {
            Ok(v) => {
                // A lazy chain returned by a callback runs now.
                let v = self.vm.force(&v).map_err(lisp_failure)?;
                interop
                    .to_wire(
                        self.vm,
                        &v,
                        &mut Vec::new(),
                        &mut Vec::new(),
                        Span::default(),
                    )
                    .map_err(lisp_failure)
            }
            Err(e) if e.kind == ErrorKind::Interrupt => Err(CallbackFailure::Interrupt),
            Err(e) => match &e.host_exception {
                Some(exc) => Err(CallbackFailure::Python(exc.id)),
                None => Err(lisp_failure(e)),
            },
        }
    }

    fn release_callback(&mut self, id: CallbackId) {
        self.vm.callbacks.remove(&id.0);
    }
}

impl Host for Interop {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn release(&self, id: crate::ids::HandleId) {
        if let Some(b) = self.backend.borrow().as_ref() {
            b.release(id);
        }
    }

    fn describe(&self, r: &HostRef, readable: bool) -> String {
        describe::describe(self, r, readable)
    }

    fn describe_lazy(&self, l: &Lazy, readable: bool) -> String {
        describe::describe_lazy(self, l, readable)
    }

    fn type_name(&self, r: &HostRef) -> String {
        describe::type_name(self, r)
    }

    fn is_instance(&self, exception: &HostRef, class: &str) -> bool {
        self.backend
            .borrow()
            .as_ref()
            .is_some_and(|b| b.mro(exception.id).iter().any(|c| c == class))
    }

    fn traceback(&self, exception: &HostRef) -> String {
        self.backend
            .borrow()
            .as_ref()
            .map(|b| b.format_exception(exception.id))
            .unwrap_or_default()
    }

    fn call(&self, vm: &mut Vm, callee: &Value, args: &[Value], span: Span) -> Result<Value, Exn> {
        self.call_value(vm, callee, args, span)
    }

    fn call_attr(
        &self,
        vm: &mut Vm,
        site: &SiteCache,
        target: Value,
        path: &[String],
        base: usize,
        span: Span,
    ) -> Result<Value, Exn> {
        self.call_attr_site(vm, site, target, path, base, span)
    }

    /// `(set! (. target a b) v)`: one request, getattr `a` then setattr `b`.
    fn set_attr(
        &self,
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
        let t = self.to_wire(vm, &target, &mut steps, &mut spans, span)?;
        let t = getattrs(t, init, &mut steps, &mut spans, span);
        let w = self.to_wire(vm, v, &mut steps, &mut spans, span)?;
        steps.push(Step::SetAttr(t, last.clone(), w));
        spans.push(span);
        self.run(vm, steps, &spans, ResultMode::Auto).map(|_| ())
    }

    fn force(&self, vm: &mut Vm, v: &Value) -> Result<Value, Exn> {
        match v {
            Value::Lazy(l) if l.path.is_empty() && matches!(l.root, LazyRoot::Pending(_)) => {
                let LazyRoot::Pending(p) = &l.root else {
                    unreachable!()
                };
                self.resolve(vm, p)
            }
            Value::Lazy(l) => {
                let span = l.span;
                self.unary(vm, v, Step::AsHandle, ResultMode::Auto, span)
            }
            other => Ok(other.clone()),
        }
    }

    /// Items of a Python iterable, at most `limit` of them (`take` pulls only what it needs).
    fn items(
        &self,
        vm: &mut Vm,
        v: &Value,
        limit: Option<usize>,
        span: Span,
    ) -> Result<Vec<Value>, Exn> {
        let it = self.unary(vm, v, Step::Iter, ResultMode::Handle, span)?;
        let mut out = Vec::new();
        loop {
            let want = match limit {
                Some(l) if out.len() >= l => break,
                Some(l) => (l - out.len()).min(4096),
                None => 4096,
            };
            let chunk = self.unary(vm, &it, |w| Step::Take(w, want), ResultMode::Items, span)?;
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

    fn op(
        &self,
        vm: &mut Vm,
        op: crate::runtime::value::HostOp,
        args: &[Value],
        span: Span,
    ) -> Result<Value, Exn> {
        self.host_op(vm, op, args, span)
    }

    fn is_iterator(&self, vm: &mut Vm, v: &Value) -> Result<bool, Exn> {
        let span = vm.call_span;
        self.is_iterator_value(vm, v, span)
    }

    fn set_item(
        &self,
        vm: &mut Vm,
        target: &Value,
        key: &Value,
        v: &Value,
        span: Span,
    ) -> Result<(), Exn> {
        self.set_item_of(vm, target, key, v, span)
    }

    fn del_item(&self, vm: &mut Vm, target: &Value, key: &Value, span: Span) -> Result<(), Exn> {
        self.del_item_of(vm, target, key, span)
    }

    fn del_attr(&self, vm: &mut Vm, target: Value, path: &[String], span: Span) -> Result<(), Exn> {
        self.del_attr_of(vm, target, path, span)
    }

    fn attach(&self) {
        if let Ok(b) = self.backend() {
            b.attach();
        }
    }

    fn settle(&self, vm: &mut Vm) -> Result<(), Exn> {
        self.settle_calls(vm)
    }

    fn forget(&self, ticket: u64) {
        self.forget_ticket(ticket);
    }

    fn interrupt_calls(&self) {
        if let Some(b) = self.backend.borrow().as_ref() {
            b.interrupt_in_flight();
        }
    }

    fn worker_count(&self) -> Option<usize> {
        self.backend().ok()?.worker_count()
    }

    fn spread(&self, vm: &mut Vm, f: &Value) {
        let (Value::Host(r), Some(b)) = (f, self.backend.borrow().clone()) else {
            return;
        };
        b.spread(r.id, &mut VmHost { vm, interop: self });
    }

    fn pin_worker(&self, w: Option<usize>) -> Option<usize> {
        match w {
            Some(_) => self.backend().ok()?.pin_worker(w),
            None => self.backend.borrow().as_ref()?.pin_worker(w),
        }
    }

    fn begin_batch(&self) {
        if let Ok(b) = self.backend() {
            b.begin_batch();
        }
    }

    fn end_batch(&self) {
        if let Some(b) = self.backend.borrow().clone() {
            b.end_batch();
        }
    }

    fn write_stdout(&self, vm: &mut Vm, text: &str) -> Option<Result<(), Exn>> {
        // Python's output of the calls still in flight comes first (and a failure among them
        // stops the printing, as it would have stopped the program before it).
        if let Err(e) = self.settle_calls(vm) {
            return Some(Err(e));
        }
        let redirected = self
            .backend
            .borrow()
            .as_ref()
            .is_some_and(|b| b.stdout_redirected());
        if !redirected {
            return None;
        }
        // `print(text, end="")` writes to whatever `sys.stdout` is now.
        let span = vm.call_span;
        let steps = vec![
            Step::Builtin("print".into()),
            Step::Call(
                WireValue::Step(0),
                vec![WireValue::Str(text.to_string())],
                vec![("end".into(), WireValue::Str(String::new()))],
            ),
        ];
        Some(
            self.run(vm, steps, &[span, span], ResultMode::Auto)
                .map(|_| ()),
        )
    }
}
