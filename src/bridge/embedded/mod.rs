//! The embedded backend: CPython inside this process, through pyo3. The only place (with its
//! submodules) that uses pyo3 or numpy.
//!
//! Every request runs under one attach to the interpreter, on the thread that started it (the
//! owner thread). Handles are `Py<PyAny>` in a generational table; releases queued by the Lisp
//! side are flushed at the start of the next request. Module and class attributes are cached for
//! a TTL and invalidated by `setattr` on the same object and by `exec`/`eval`.
//!
//! CPython is one interpreter per process, but each [`EmbeddedBackend`] is a session of its own:
//! its own handle table (ids carry the backend's owner number), namespace, caches and output
//! capture. The only per-thread state is the attachment itself (`HELD`).

mod arrays;
mod callback;
mod convert;
mod finalize;
mod init;
mod ops;
mod output;
mod threads;

use crate::bridge::backend::*;
use crate::bridge::handles::{HandleTable, ReleaseQueue};
use crate::bridge::interrupt::IN_PYTHON;
use crate::bridge::ir::*;
use crate::buffer::SharedBuffer;
use crate::ids::*;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyString, PyTuple, PyType};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use init::{choose_python, LINKED_VERSION};

/// Python helpers, standard library only.
const HELPERS: &str = r#"
import traceback
def call_in_frame(f, args, kwargs):
    # A Python frame for the callee to find above it: code that looks at its caller's frame
    # (pandas' DataFrame.query and eval, through sys._getframe) fails without one.
    return f(*args, **kwargs)
_loop = None
def session_loop():
    # One event loop for the whole session, also the one asyncio.gather and ensure_future
    # pick up outside a running loop, so tasks and futures live across top-level forms.
    global _loop
    import asyncio, warnings
    if _loop is None or _loop.is_closed():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                _loop = asyncio.get_event_loop()
            except RuntimeError:
                _loop = None
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_loop)
    return _loop
def patch_asyncio():
    # asyncio.create_task outside a running loop (a top-level form) schedules the task on the
    # session's loop, as a notebook's always-running loop would.
    import asyncio
    if getattr(asyncio.create_task, '_polyglot', False):
        return
    original = asyncio.create_task
    def create_task(coro, **kw):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return session_loop().create_task(coro, **kw)
        return original(coro, **kw)
    create_task._polyglot = True
    create_task.__doc__ = original.__doc__
    asyncio.create_task = create_task
def run_awaitable(x):
    import asyncio, inspect
    if not inspect.isawaitable(x):
        return x
    loop = session_loop()
    if inspect.iscoroutine(x):
        task = loop.create_task(x)
    else:
        task = asyncio.ensure_future(x, loop=loop)
    try:
        return loop.run_until_complete(task)
    except KeyboardInterrupt:
        # Ctrl-C cancels the awaited task; the loop and the other tasks stay usable.
        task.cancel()
        try:
            loop.run_until_complete(task)
        except BaseException:
            pass
        raise
def throwable(x):
    if isinstance(x, type) and issubclass(x, BaseException):
        x = x()
    return x if isinstance(x, BaseException) else None
import builtins as _builtins
def make_exception(name, message):
    cls = getattr(_builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = RuntimeError
    return cls(message)
def format_exc(e):
    # polyglot's own helper frames (compiled as "<polyglot>") are not the user's.
    te = traceback.TracebackException(type(e), e, e.__traceback__)
    def drop_ours(t):
        while t is not None:
            t.stack = traceback.StackSummary.from_list(
                [f for f in t.stack if f.filename != '<polyglot>'])
            t = t.__cause__ or t.__context__
    drop_ours(te)
    return safe_text(''.join(te.format()))
def safe_text(s):
    # Lone surrogates (from bytes decoded with surrogateescape) shown as escapes, not lost.
    return s.encode('utf-8', 'backslashreplace').decode('utf-8')
def exception_text(e):
    try:
        return safe_text(str(e))
    except BaseException:
        return '<exception str() failed>'
def as_nd(mem, dtype, shape):
    import numpy
    a = numpy.frombuffer(mem, dtype=dtype)
    return a if shape is None else a.reshape(shape)
import itertools
def take(it, n):
    return list(itertools.islice(it, n))
def type_name(t):
    m = getattr(t, '__module__', None)
    q = getattr(t, '__qualname__', t.__name__)
    return q if m in (None, 'builtins') else m + '.' + q
"#;

/// A cached attribute: the object (kept alive so its address stays unique), the value, when.
type CachedAttr = (Py<PyAny>, Py<PyAny>, Instant);

pub(crate) struct State {
    owner: OwnerId,
    handles: RefCell<HandleTable<Py<PyAny>>>,
    queue: ReleaseQueue,
    imports: RefCell<HashMap<String, Py<PyAny>>>,
    /// (object address, attribute) → (object kept alive, value, when cached).
    attr_cache: RefCell<HashMap<(usize, String), CachedAttr>>,
    attr_ttl: Duration,
    namespace: Py<PyDict>,
    helpers: Py<PyDict>,
    numpy_generic: RefCell<Option<Py<PyAny>>>,
    stats: Cell<Stats>,
    pub(crate) timing: Cell<bool>,
    requests_since_drain: Cell<u32>,
    /// The host of the running request, for Lisp callbacks.
    host: callback::HostSlot,
    /// Calls of Lisp functions from other threads, and callbacks freed on any thread.
    mailbox: std::sync::Arc<threads::Mailbox>,
    /// Typed arrays the Lisp side lent to the running request.
    lent: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    /// Views of ndarrays that results named, until the Lisp side claims them.
    returned: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    /// Where this session's Python output goes (`None`: the process's streams).
    output: RefCell<Option<OutputHook>>,
    /// `sys.stdout` as this session set it up (the address): anything else is a redirection.
    stdout_baseline: Cell<usize>,
}

/// Runs `f` marked as running Python code, so that Ctrl-C raises KeyboardInterrupt in it.
fn in_python<R>(f: impl FnOnce() -> R) -> R {
    let was = IN_PYTHON.swap(true, Ordering::Relaxed);
    let r = f();
    IN_PYTHON.store(was, Ordering::Relaxed);
    r
}

/// The address of `sys.stdout` now (0 when unset). Call attached to the interpreter.
fn current_stdout() -> usize {
    // SAFETY: called attached; PySys_GetObject returns a borrowed reference or null, and only
    // its address is kept.
    unsafe { ffi::PySys_GetObject(c"stdout".as_ptr()) as usize }
}

/// Owner numbers of backend instances in this process.
static NEXT_OWNER: AtomicU32 = AtomicU32::new(1);

thread_local! {
    /// The owner thread stays attached to the interpreter from its first request until the
    /// engine finishes the top-level form (`detach`): a hot loop of Python calls pays for
    /// attaching once, not per call.
    static HELD: Cell<Option<ffi::PyGILState_STATE>> = const { Cell::new(None) };
}

/// pyo3 does not see our long-lived attachment, so a `Py` or `PyErr` dropped during it waits
/// in pyo3's deferred-decref pool until pyo3 itself attaches. Attaching through pyo3 every so
/// many requests drains the pool, keeping memory flat in a long loop.
fn drain_deferred(count: &Cell<u32>) {
    let n = count.get().wrapping_add(1);
    count.set(n);
    if n.is_multiple_of(256) {
        Python::attach(|_| ());
    }
}

fn ensure_attached() {
    if HELD.with(|h| h.get()).is_none() {
        // SAFETY: the interpreter is initialised (the backend exists); paired with `detach`.
        let st = unsafe { ffi::PyGILState_Ensure() };
        HELD.with(|h| h.set(Some(st)));
    }
}

pub struct EmbeddedBackend {
    state: Rc<State>,
}

extern "C" fn interrupt_python() {
    // SAFETY: PyErr_SetInterruptEx is async-signal-safe and needs no thread state.
    unsafe {
        ffi::PyErr_SetInterruptEx(libc::SIGINT);
    }
}

impl EmbeddedBackend {
    /// Starts CPython for the chosen environment. `attr_ttl` bounds how long cached module and
    /// class attributes are trusted.
    pub fn start(python: Option<&Path>, attr_ttl: Duration) -> Result<EmbeddedBackend, String> {
        let exe = init::choose_python(python)?;
        {
            // Sessions may start on several threads at once; CPython is initialised once.
            static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
            init::initialize(&exe)?;
        }
        let owner = OwnerId {
            backend: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            ..OwnerId::default()
        };
        let first = owner.backend == 1;
        let state = Python::attach(|py| -> PyResult<_> {
            // pyo3 creates its PanicException type lazily, at the first error it fetches. If
            // that first error is a RecursionError deep in Lisp ↔ Python recursion, creating the
            // type fails too and pyo3 deadlocks on its own once-cell: create it now.
            let _ = py.get_type::<pyo3::panic::PanicException>();
            // The first session uses `__main__` (so pickling what `py-exec` defines works as in
            // a script); another session in the same process gets a namespace of its own.
            let namespace = if first {
                py.import("__main__")?.dict().unbind()
            } else {
                let ns = PyDict::new(py);
                ns.set_item("__name__", "__main__")?;
                ns.set_item("__builtins__", py.import("builtins")?)?;
                ns.unbind()
            };
            let helpers = PyDict::new(py);
            // Compiled under the name "<polyglot>", so tracebacks can leave these frames out.
            helpers.set_item("__polyglot_source__", format!("{HELPERS}{}", ops::HELPERS))?;
            py.run(
                c"exec(compile(__polyglot_source__, '<polyglot>', 'exec'), globals())",
                Some(&helpers),
                None,
            )?;
            // Python-level SIGINT handler = raise KeyboardInterrupt; the OS-level handler stays
            // ours (reinstalled by the caller after this).
            let _ = py.run(
                c"import signal\ntry:\n    signal.signal(signal.SIGINT, signal.default_int_handler)\nexcept Exception:\n    pass\n",
                None,
                None,
            );
            let main_thread = threads::install_wakeup(py);
            Ok((namespace, helpers.unbind(), current_stdout(), main_thread))
        })
        .map_err(|e| format!("Python started but could not be set up: {e}"))?;
        let (namespace, helpers, stdout, main_thread) = state;
        crate::bridge::interrupt::set_python_hook(interrupt_python);
        let state = Rc::new(State {
            owner,
            handles: RefCell::new(HandleTable::new(owner)),
            queue: ReleaseQueue::default(),
            imports: RefCell::new(HashMap::new()),
            attr_cache: RefCell::new(HashMap::new()),
            attr_ttl,
            namespace,
            helpers,
            numpy_generic: RefCell::new(None),
            stats: Cell::new(Stats::default()),
            timing: Cell::new(false),
            requests_since_drain: Cell::new(0),
            host: Cell::new(None),
            mailbox: std::sync::Arc::new(threads::Mailbox::for_this_thread(main_thread)),
            lent: RefCell::new(HashMap::new()),
            returned: RefCell::new(HashMap::new()),
            output: RefCell::new(None),
            stdout_baseline: Cell::new(stdout),
        });
        threads::register(&state);
        Ok(EmbeddedBackend { state })
    }
}

impl State {
    pub(crate) fn helper<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        self.helpers
            .bind(py)
            .get_item(name)?
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("missing helper"))
    }

    /// Frees the objects of dropped Lisp handles. Called attached: each object is dropped as a
    /// `Bound`, which decrements its count at once (a bare `Py` dropped here would wait in
    /// pyo3's deferred pool, since pyo3 does not see our long-lived attachment).
    fn flush_releases(&self, py: Python<'_>, host: &mut dyn CallbackHost) {
        if !self.queue.is_empty() {
            let ids = self.queue.take();
            let mut t = self.handles.borrow_mut();
            for id in ids {
                if let Some(obj) = t.remove(id) {
                    drop(obj.into_bound(py));
                }
            }
        }
        // The common case, nothing released, reads one flag (no lock on every request).
        let flag = &self.mailbox.any_released;
        if !flag.load(Ordering::Relaxed) || !flag.swap(false, Ordering::Acquire) {
            return;
        }
        let released = std::mem::take(
            &mut *self
                .mailbox
                .released
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for id in released {
            host.release_callback(CallbackId(id));
        }
    }

    fn getattr_cached<'py>(
        &self,
        py: Python<'py>,
        obj: &Bound<'py, PyAny>,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cacheable = obj.is_instance_of::<PyModule>() || obj.is_instance_of::<PyType>();
        if !cacheable {
            return obj.getattr(name);
        }
        let key = (obj.as_ptr() as usize, name.to_string());
        if let Some((_, v, at)) = self.attr_cache.borrow().get(&key) {
            if at.elapsed() < self.attr_ttl {
                return Ok(v.bind(py).clone());
            }
        }
        let v = obj.getattr(name)?;
        self.attr_cache.borrow_mut().insert(
            key,
            (obj.clone().unbind(), v.clone().unbind(), Instant::now()),
        );
        Ok(v)
    }

    fn invalidate(&self, obj: Option<&Bound<'_, PyAny>>) {
        let mut c = self.attr_cache.borrow_mut();
        match obj {
            Some(o) => {
                let p = o.as_ptr() as usize;
                c.retain(|(addr, _), _| *addr != p);
            }
            None => c.clear(),
        }
    }

    fn step<'py>(
        &self,
        py: Python<'py>,
        step: &Step,
        done: &[Bound<'py, PyAny>],
    ) -> PyResult<Bound<'py, PyAny>> {
        match step {
            Step::Import(name) => {
                if let Some(m) = self.imports.borrow().get(name) {
                    return Ok(m.bind(py).clone());
                }
                let m = py.import(name.as_str())?.into_any();
                if name == "asyncio" {
                    self.helper(py, "patch_asyncio")?.call0()?;
                }
                self.imports
                    .borrow_mut()
                    .insert(name.clone(), m.clone().unbind());
                Ok(m)
            }
            Step::GetAttr(t, name) => {
                let obj = self.to_py(py, t, done)?;
                self.getattr_cached(py, &obj, name)
            }
            Step::Call(t, args, kwargs) => {
                let f = self.to_py(py, t, done)?;
                let args = args
                    .iter()
                    .map(|a| self.to_py(py, a, done))
                    .collect::<PyResult<Vec<_>>>()?;
                let args = PyTuple::new(py, args)?;
                let kw = PyDict::new(py);
                for (k, v) in kwargs {
                    kw.set_item(PyString::new(py, k), self.to_py(py, v, done)?)?;
                }
                // Through a Python frame (as on the workers backend, where calls are made from
                // Python): the hot path of cached functions (`call_handle`) calls directly.
                self.helper(py, "call_in_frame")?.call1((f, args, kw))
            }
            Step::GetItem(t, k) => {
                let obj = self.to_py(py, t, done)?;
                obj.get_item(self.to_py(py, k, done)?)
            }
            Step::SetAttr(t, name, v) => {
                let obj = self.to_py(py, t, done)?;
                let value = self.to_py(py, v, done)?;
                obj.setattr(name.as_str(), &value)?;
                self.invalidate(Some(&obj));
                Ok(value)
            }
            Step::Eval(src) => {
                self.invalidate(None);
                let builtins = py.import("builtins")?;
                builtins
                    .getattr("eval")?
                    .call1((src.as_str(), self.namespace.bind(py)))
            }
            Step::Exec(src) => {
                self.invalidate(None);
                let builtins = py.import("builtins")?;
                builtins
                    .getattr("exec")?
                    .call1((src.as_str(), self.namespace.bind(py)))?;
                Ok(py.None().into_bound(py))
            }
            Step::Await(t) => {
                let obj = self.to_py(py, t, done)?;
                self.helper(py, "run_awaitable")?.call1((obj,))
            }
            Step::Iter(t) => Ok(self.to_py(py, t, done)?.try_iter()?.into_any()),
            Step::Take(t, n) => {
                let it = self.to_py(py, t, done)?;
                self.helper(py, "take")?.call1((it, *n))
            }
            Step::ToLisp(t) | Step::AsHandle(t) => self.to_py(py, t, done),
            other => self.semantic_step(py, other, done),
        }
    }

    fn failure(&self, py: Python<'_>, err: PyErr, step: usize) -> Box<PyFailure> {
        let interrupt = err.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py);
        let type_name = err
            .get_type(py)
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "Exception".into());
        let traceback = err.traceback(py);
        // Taken out of the PyErr as a `Bound`, so nothing waits in pyo3's deferred pool.
        let value = err.into_value(py).into_bound(py);
        // pyo3 keeps the traceback beside the value; attach it so formatting sees the frames.
        if let Some(tb) = traceback {
            // SAFETY: both are live objects under the GIL; the call takes its own reference.
            unsafe {
                ffi::PyException_SetTraceback(value.as_ptr(), tb.as_ptr());
            }
        }
        let message = self
            .helper(py, "exception_text")
            .and_then(|f| f.call1((&value,)))
            .and_then(|t| t.extract::<String>())
            .unwrap_or_else(|_| "<exception str() failed>".into());
        let lisp_error = value
            .getattr(callback::LISP_ERROR_TOKEN)
            .and_then(|t| t.extract::<u64>())
            .ok();
        let exception = Some(self.new_handle(value.into_any()));
        Box::new(PyFailure {
            step,
            interrupt,
            type_name,
            message,
            exception,
            lisp_error,
        })
    }

    fn run(&self, py: Python<'_>, req: &ChainRequest) -> Result<WireValue, Box<PyFailure>> {
        let mut done: Vec<Bound<'_, PyAny>> = Vec::with_capacity(req.steps.len());
        for (i, step) in req.steps.iter().enumerate() {
            match self.step(py, step, &done) {
                Ok(v) => done.push(v),
                Err(e) => return Err(self.failure(py, e, i)),
            }
        }
        let last = req.steps.len().saturating_sub(1);
        let Some(result) = done.pop() else {
            return Ok(WireValue::None);
        };
        let deep =
            matches!(req.steps.last(), Some(Step::ToLisp(_))) || req.mode == ResultMode::Deep;
        let r = match req.mode {
            ResultMode::Handle => Ok(WireValue::Handle(self.new_handle(result))),
            ResultMode::Items => result.try_iter().and_then(|it| {
                it.map(|x| self.to_wire(py, x?, false))
                    .collect::<PyResult<Vec<_>>>()
                    .map(WireValue::List)
            }),
            _ => self.to_wire(py, result, deep),
        };
        r.map_err(|e| self.failure(py, e, last))
    }
}

impl EmbeddedBackend {
    /// The frame of every request: attach, free released handles, make Lisp callbacks
    /// reachable, mark Python as running (for Ctrl-C), then count the request and its time.
    fn request<R>(
        &self,
        host: &mut dyn CallbackHost,
        body: impl FnOnce(&State, Python<'_>) -> Result<R, Box<PyFailure>>,
    ) -> Result<R, Box<PyFailure>> {
        let s = &self.state;
        let started = s.timing.get().then(Instant::now);
        ensure_attached();
        // SAFETY: attached just above; `py` does not outlive this call.
        let py = unsafe { Python::assume_attached() };
        s.flush_releases(py, host);
        s.route_output();
        s.mailbox.enter_request();
        let r = s.with_host(host, || {
            // Calls from other threads that waited for this session to come back to Python.
            if s.mailbox.has_jobs() {
                s.run_jobs(py);
            }
            let was = IN_PYTHON.load(Ordering::Relaxed);
            IN_PYTHON.store(true, Ordering::Relaxed);
            let r = body(s, py);
            IN_PYTHON.store(was, Ordering::Relaxed);
            if s.mailbox.has_jobs() {
                s.run_jobs(py);
            }
            r
        });
        s.mailbox.leave_request();
        // Lent memory stays alive through the Python objects that view it, not through us.
        s.lent.borrow_mut().clear();
        drain_deferred(&s.requests_since_drain);
        let mut st = s.stats.get();
        st.requests += 1;
        if let Some(t) = started {
            st.python_nanos += t.elapsed().as_nanos() as u64;
        }
        s.stats.set(st);
        r
    }
}

impl Backend for EmbeddedBackend {
    fn execute(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        self.request(host, |s, py| s.run(py, req))
    }

    fn call_handle(
        &self,
        f: HandleId,
        args: &[WireValue],
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        self.request(host, |s, py| {
            let r = (|| -> PyResult<WireValue> {
                let callee = s.handle_obj(py, f)?;
                // Small arities go through vectorcall without building a tuple.
                let out = match args {
                    [] => callee.call0()?,
                    [a] => callee.call1((s.to_py(py, a, &[])?,))?,
                    [a, b] => callee.call1((s.to_py(py, a, &[])?, s.to_py(py, b, &[])?))?,
                    [a, b, c] => callee.call1((
                        s.to_py(py, a, &[])?,
                        s.to_py(py, b, &[])?,
                        s.to_py(py, c, &[])?,
                    ))?,
                    _ => {
                        let objs = args
                            .iter()
                            .map(|a| s.to_py(py, a, &[]))
                            .collect::<PyResult<Vec<_>>>()?;
                        callee.call1(PyTuple::new(py, objs)?)?
                    }
                };
                s.to_wire(py, out, false)
            })();
            r.map_err(|e| s.failure(py, e, 0))
        })
    }

    fn format_exception(&self, h: HandleId) -> String {
        let s = &self.state;
        Python::attach(|py| {
            s.handle_obj(py, h)
                .and_then(|e| s.helper(py, "format_exc")?.call1((e,)))
                .and_then(|t| t.extract::<String>())
                .unwrap_or_default()
        })
    }

    fn mro(&self, h: HandleId) -> Vec<String> {
        let s = &self.state;
        Python::attach(|py| {
            let Ok(obj) = s.handle_obj(py, h) else {
                return Vec::new();
            };
            obj.get_type()
                .getattr("__mro__")
                .ok()
                .and_then(|m| {
                    m.try_iter().ok().map(|it| {
                        it.flatten()
                            .filter_map(|c| c.getattr("__name__").ok()?.extract::<String>().ok())
                            .collect::<Vec<_>>()
                    })
                })
                .unwrap_or_default()
        })
    }

    fn describe(&self, h: HandleId, want: Want) -> Option<Description> {
        let s = &self.state;
        // `repr` and `str` run user code: Ctrl-C must reach it as KeyboardInterrupt.
        in_python(|| {
            Python::attach(|py| {
                let obj = s.handle_obj(py, h).ok()?;
                let ty = obj.get_type();
                let type_name = s
                    .helper(py, "type_name")
                    .and_then(|f| f.call1((ty,)))
                    .and_then(|n| n.extract::<String>())
                    .unwrap_or_else(|_| "object".into());
                let text = |r: PyResult<Bound<'_, PyString>>, limit: usize| {
                    let text = r
                        .map(|x| x.to_string())
                        .unwrap_or_else(|e| format!("<error: {e}>"));
                    if limit > 0 && text.chars().count() > limit {
                        let cut: String = text.chars().take(limit).collect();
                        format!("{cut}...")
                    } else {
                        text
                    }
                };
                let (repr, str) = match want {
                    Want::Type => (String::new(), String::new()),
                    Want::Repr(limit) => (text(obj.repr(), limit), String::new()),
                    Want::Str => (String::new(), text(obj.str(), 0)),
                };
                Some(Description {
                    type_name,
                    repr,
                    str,
                })
            })
        })
    }

    fn dir(&self, h: HandleId) -> Vec<String> {
        let s = &self.state;
        in_python(|| {
            Python::attach(|py| {
                let Ok(obj) = s.handle_obj(py, h) else {
                    return Vec::new();
                };
                obj.dir()
                    .map(|l| {
                        l.iter()
                            .filter_map(|n| n.extract::<String>().ok())
                            .collect()
                    })
                    .unwrap_or_default()
            })
        })
    }

    fn live_handles(&self) -> usize {
        self.state.handles.borrow().live() - self.state.queue.len()
    }

    fn list_handles(&self) -> Vec<HandleId> {
        let pending = self.state.queue.take();
        for id in &pending {
            self.state.queue.push(*id);
        }
        self.state
            .handles
            .borrow()
            .ids()
            .into_iter()
            .filter(|id| !pending.contains(id))
            .collect()
    }

    fn release(&self, h: HandleId) {
        self.state.queue.push(h);
    }

    fn lend_buffer(&self, b: &Rc<SharedBuffer>, shape: Option<Vec<usize>>) -> ArrayRef {
        self.state.lent.borrow_mut().insert(b.id(), b.clone());
        ArrayRef {
            buffer: b.id(),
            dtype: b.dtype(),
            len: b.len(),
            shape,
        }
    }

    fn claim_buffer(&self, r: &ArrayRef) -> Option<Rc<SharedBuffer>> {
        self.state.returned.borrow_mut().remove(&r.buffer)
    }

    fn stats(&self) -> Stats {
        self.state.stats.get()
    }

    fn set_timing(&self, on: bool) {
        self.state.timing.set(on);
    }

    fn attach(&self) {
        ensure_attached();
    }

    fn detach(&self) {
        if let Some(st) = HELD.with(|h| h.take()) {
            // A pyo3-managed attach drains pyo3's pool of deferred decrefs.
            Python::attach(|_| ());
            // SAFETY: releases the state taken by `ensure_attached` on this thread.
            unsafe { ffi::PyGILState_Release(st) };
        }
    }

    fn set_output(&self, hook: Option<OutputHook>) {
        let s = &self.state;
        Python::attach(|py| {
            if let Err(e) = s.capture_output(py, hook) {
                eprintln!("polyglot: cannot capture Python's output: {e}");
            }
        });
    }

    fn stdout_redirected(&self) -> bool {
        let baseline = self.state.stdout_baseline.get();
        if HELD.with(|h| h.get()).is_some() {
            current_stdout() != baseline
        } else {
            Python::attach(|_| current_stdout() != baseline)
        }
    }

    fn shutdown(&self) -> Option<i32> {
        self.finalize()
    }
}
