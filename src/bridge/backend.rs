//! What a backend offers the Lisp side ([`Backend`]), and what the Lisp side offers a running
//! request ([`CallbackHost`]): the seam every backend — embedded today, worker processes, Ray
//! actors and Pyodide later — plugs into. The Lisp side (`interop`) talks to backends only
//! through these traits; only the factory in `bridge/mod.rs` names a concrete backend.

use crate::bridge::ir::{ArrayRef, ChainRequest, WireValue};
use crate::buffer::SharedBuffer;
use crate::ids::{CallbackId, HandleId};
use std::rc::Rc;
use std::sync::Arc;

/// A Python exception, as the Lisp side sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct PyFailure {
    /// Index of the step that raised.
    pub step: usize,
    /// The class name (`"ValueError"`).
    pub type_name: String,
    pub message: String,
    /// The exception object, kept as a handle: its traceback is formatted only if the error
    /// is shown (a caught error never pays for formatting).
    pub exception: Option<HandleId>,
    /// It was a `KeyboardInterrupt`.
    pub interrupt: bool,
    /// The exception stands for a Lisp error a callback raised (the token its
    /// [`CallbackFailure::Lisp`] carried): the Lisp side gets that error back as it was.
    pub lisp_error: Option<u64>,
}

/// A description of a handle for display: `numpy.ndarray`, `repr(...)`, `str(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub type_name: String,
    pub repr: String,
    pub str: String,
}

/// What [`Backend::describe`] is asked for besides the type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Only the type (`type-of`).
    Type,
    /// `repr(obj)`, cut after this many characters (0: whole).
    Repr(usize),
    /// `str(obj)`.
    Str,
}

/// Requests made, and nanoseconds inside Python and in the bridge (conversion, dispatch).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub requests: u64,
    pub python_nanos: u64,
    pub bridge_nanos: u64,
}

/// Which of the program's output streams a write belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where Python's `sys.stdout`/`sys.stderr` writes go when they are captured (a notebook, a
/// test). Called on whichever thread Python writes from.
pub type OutputHook = Arc<dyn Fn(Stream, &str) + Send + Sync>;

/// What a backend offers the Lisp side. Failures are boxed: the success path then moves a small
/// result, which matters on a hot loop of calls. Methods take `&self`: a request may call a Lisp
/// callback that issues requests of its own, so nothing may stay borrowed across `execute`.
pub trait Backend {
    fn execute(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>>;
    /// `f(*args)` for a handle and plain arguments: the hot path of a loop calling a cached
    /// function. Same result as a one-step request.
    fn call_handle(
        &self,
        f: HandleId,
        args: &[WireValue],
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>>;
    /// Queues the release of a handle the Lisp side dropped (no I/O here: the queue rides on
    /// the next request).
    fn release(&self, h: HandleId);
    /// Lends typed-array memory to the next request; its operands name it by the returned
    /// descriptor.
    fn lend_buffer(&self, b: &Rc<SharedBuffer>, shape: Option<Vec<usize>>) -> ArrayRef;
    /// Memory a result named (a view of an ndarray), handed to the Lisp side once.
    fn claim_buffer(&self, r: &ArrayRef) -> Option<Rc<SharedBuffer>>;
    /// The type name of a handle's object, and what `want` asks for of its text (the rest is
    /// left empty: `__repr__` and `__str__` are user code, run only when needed).
    fn describe(&self, h: HandleId, want: Want) -> Option<Description>;
    /// `traceback.format_exception` of an exception handle (empty if not one).
    fn format_exception(&self, h: HandleId) -> String;
    /// The class names along the MRO of a handle's type (`catch` matches subclasses).
    fn mro(&self, h: HandleId) -> Vec<String>;
    /// Attribute names of a handle's object (`dir()`), for completion.
    fn dir(&self, h: HandleId) -> Vec<String>;
    /// Live handles (held by the Lisp side, releases not yet flushed excluded).
    fn live_handles(&self) -> usize;
    fn list_handles(&self) -> Vec<HandleId>;
    /// Time spent inside Python, and requests made, since the backend started.
    fn stats(&self) -> Stats;
    /// Measure the time spent inside Python (off by default: reading the clock costs).
    fn set_timing(&self, on: bool);
    /// Keeps the interpreter attached across the requests that follow (`batch`, and the rest
    /// of a top-level form), until [`Backend::detach`].
    fn attach(&self);
    /// Lets other Python threads run: called between top-level forms and while the REPL waits.
    fn detach(&self);
    /// Captures Python's `sys.stdout`/`sys.stderr` into `hook`, or (with `None`) lets them write
    /// to the process's own streams.
    fn set_output(&self, hook: Option<OutputHook>);
    /// Whether Python's `sys.stdout` is no longer the stream it was (or the capture this
    /// backend installed): the Lisp's printing then goes through Python.
    fn stdout_redirected(&self) -> bool {
        false
    }
    /// Whether [`Backend::submit`] sends requests without waiting.
    fn pipelines(&self) -> bool {
        false
    }
    /// Sends a request without waiting for its answer (a backend that pipelines; the others
    /// return `None`, and the caller uses [`Backend::execute`]). The ticket names the answer
    /// ([`Backend::take_answers`]) and, as [`WireValue::Pending`], its value in later requests,
    /// which run after it. After a submitted request fails, the backend skips the requests that
    /// follow (answered [`Answer::Skipped`]) until [`Backend::resume`]: nothing after a failing
    /// call runs, as when every call waits.
    fn submit(
        &self,
        _req: &ChainRequest,
        _host: &mut dyn CallbackHost,
    ) -> Option<Result<u64, Box<PyFailure>>> {
        None
    }
    /// Reads answers until the one for `ticket` has come (`None`: all of them), serving
    /// callbacks and output meanwhile.
    fn wait(&self, _ticket: Option<u64>, _host: &mut dyn CallbackHost) {}
    /// The answers that have come since the last call, in the order the requests were sent.
    fn take_answers(&self) -> Vec<(u64, Answer)> {
        Vec::new()
    }
    /// Whether any submitted request has not been answered yet.
    fn in_flight(&self) -> bool {
        false
    }
    /// The value of `ticket` is no longer needed by later requests (queued, like releases).
    fn forget(&self, _ticket: u64) {}
    /// The failure that made the backend skip requests has been raised: run them again.
    fn resume(&self) {}
    /// Interrupts the submitted request that is running, if any (Ctrl-C reached the Lisp
    /// while it ran ahead).
    fn interrupt_in_flight(&self) {}
    /// `(batch ...)`: requests submitted until the matching `end_batch` go out as one message
    /// (sooner only if the Lisp side must wait for one of them).
    fn begin_batch(&self) {}
    fn end_batch(&self) {}
    /// Every request submitted before `ticket` has been answered (always, with one worker:
    /// answers come in order).
    fn answered_before(&self, _ticket: u64) -> bool {
        true
    }
    /// Waits until every request submitted before `ticket` is answered.
    fn wait_before(&self, _ticket: u64, _host: &mut dyn CallbackHost) {}
    /// The worker processes calls can run on (`--workers`); `None`: they run in-process.
    fn worker_count(&self) -> Option<usize> {
        None
    }
    /// Pins the calls made from now on to worker `w` (`None`: each call goes to the worker
    /// that owns its operands, else to the home worker 0); the previous pin. In-process:
    /// nothing to pin.
    fn pin_worker(&self, _w: Option<usize>) -> Option<usize> {
        None
    }
    /// Copies the object of `h` to every worker now (see `pool-map`); in-process, nothing.
    fn spread(&self, _h: HandleId, _host: &mut dyn CallbackHost) {}
    /// One row per worker, for `:workers` (empty in-process).
    fn worker_rows(&self) -> Vec<WorkerRow> {
        Vec::new()
    }
    /// Ends the backend at process exit: frees every object the Lisp side held, then runs the
    /// interpreter's own exit work (`atexit` handlers, flushing and closing files). Called once,
    /// on the owner thread, after the session's Lisp values are gone; the backend is unusable
    /// afterwards. Returns the exit status that shutdown itself asks for (CPython's 120 when
    /// finalization failed), if any. Default: nothing to do.
    fn shutdown(&self) -> Option<i32> {
        None
    }
}

/// A worker as `:workers` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerRow {
    /// Its number (`with-worker n`), from 0 (the home worker).
    pub index: usize,
    pub pid: Option<u32>,
    /// "idle", "busy", "not started", "stopped" (it died; the next call starts it again).
    pub state: String,
    pub in_flight: usize,
    pub handles: usize,
    pub restarts: u32,
}

/// What became of a submitted request.
#[derive(Debug)]
pub enum Answer {
    Value(WireValue),
    Failed(Box<PyFailure>),
    /// Not run: an earlier submitted request failed.
    Skipped,
}

/// Why a Lisp callback failed, as Python should see it.
#[derive(Clone, Debug, PartialEq)]
pub enum CallbackFailure {
    /// A Lisp error: Python gets a `RuntimeError` with this text, marked with the token so
    /// that, if it comes back out of Python, the Lisp side finds the original error.
    Lisp {
        message: String,
        token: u64,
    },
    /// A Python exception raised inside the callback's own requests: re-raised as it was.
    Python(HandleId),
    Interrupt,
}

/// The Lisp side, as a running request sees it: Python calling a Lisp callback.
pub trait CallbackHost {
    fn call(
        &mut self,
        id: CallbackId,
        args: Vec<WireValue>,
        kwargs: Vec<(String, WireValue)>,
    ) -> Result<WireValue, CallbackFailure>;
    /// A callback's Python object was freed; the Lisp function may be dropped.
    fn release_callback(&mut self, id: CallbackId);
}
