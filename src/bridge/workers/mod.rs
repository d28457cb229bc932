//! The workers backend (`--backend workers`): Python in a separate worker process, spoken to
//! over the framed protocol of docs/protocol.md ([`codec`]; the process and its supervision in
//! [`process`]; the Python half is `runtime.py`, embedded in the binary).
//!
//! Every chain is one frame; releases of dropped handles ride on the next one. Calls are
//! *submitted* ([`Backend::submit`]): sent without waiting, answered in order, their answers
//! read whenever the Lisp side next waits. Requests queue while the worker is busy and go out
//! together when it has answered what it was sent (or when the Lisp side must wait, or a batch
//! ends: `(batch ...)` is one `batch` message); at most `--max-inflight` are unanswered, past
//! that the Lisp side waits. While a reply is awaited the worker may call Lisp functions
//! (callbacks, nested to any depth) and forward captured output. Ctrl-C is forwarded to the
//! worker's PID (KeyboardInterrupt there); a second one within a second kills it. A worker that
//! dies fails every call in flight with `WorkerDied` saying why, and the next request starts a
//! new one (a new incarnation: handles of the old one are stale).
//!
//! Not yet: a pool of several workers, and shared memory for typed arrays (they are copied
//! both ways, so `as-nd` does not share memory with the worker).

pub mod codec;
mod process;
mod shm;

/// The raw floor of a round trip (P8): `rounds` frames of `payload_len` bytes written to an
/// echo worker and read back, with the same spin-then-block reads; the time per round trip.
pub fn echo_floor(
    python: &std::path::Path,
    payload_len: usize,
    rounds: usize,
) -> Result<std::time::Duration, String> {
    let mut w = Worker::spawn_echo(python)?;
    // A string payload of the right length: the frame is the same size as a request's.
    let msg = Val::Str("x".repeat(payload_len.saturating_sub(5)));
    let t = Instant::now();
    for _ in 0..rounds {
        w.send(&msg).map_err(|d| d.0)?;
        w.recv().map_err(|d| d.0)?;
    }
    Ok(t.elapsed() / rounds.max(1) as u32)
}

/// The runtime's own decode+dispatch loop over recorded request frames, in process (P9's
/// baseline): messages handled and seconds taken.
pub fn replay(python: &std::path::Path, frames: &std::path::Path) -> Result<(u64, f64), String> {
    let script = process::install_runtime()?;
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg("--replay")
        .arg(frames)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.contains("\"messages\""));
    let field = |name: &str| -> Option<f64> {
        let l = line?;
        let at = l.find(&format!("\"{name}\""))? + name.len() + 2;
        let rest = l[at..].trim_start_matches([':', ' ']);
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        rest[..end].trim().parse().ok()
    };
    match (field("messages"), field("seconds")) {
        (Some(n), Some(s)) if out.status.success() => Ok((n as u64, s)),
        _ => Err(format!("the replay failed: {}", text.trim())),
    }
}

use crate::bridge::backend::*;
use crate::bridge::handles::HandleTable;
use crate::bridge::interrupt::IN_PYTHON;
use crate::bridge::ir::*;
use crate::buffer::{DType, SharedBuffer};
use crate::ids::*;
use codec::Val;
use process::Worker;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, Ordering};
use std::time::Instant;

/// The PID of the worker running the current request (0: none), for the SIGINT hook.
static RUNNING_PID: AtomicI32 = AtomicI32::new(0);
/// When the last Ctrl-C was forwarded (milliseconds of CLOCK_MONOTONIC).
static LAST_INTERRUPT_MS: AtomicI64 = AtomicI64::new(i64::MIN / 2);
static NEXT_OWNER: AtomicU32 = AtomicU32::new(1 << 16);

fn monotonic_ms() -> i64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime is async-signal-safe and writes only `t`.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec * 1000 + t.tv_nsec / 1_000_000
}

/// Called from the SIGINT handler while a request waits: interrupt the worker's call; a second
/// Ctrl-C within a second kills the worker.
extern "C" fn interrupt_worker() {
    let pid = RUNNING_PID.load(Ordering::SeqCst);
    if pid <= 0 {
        return;
    }
    let now = monotonic_ms();
    let last = LAST_INTERRUPT_MS.swap(now, Ordering::SeqCst);
    let signal = if now - last < 1000 {
        libc::SIGKILL
    } else {
        libc::SIGINT
    };
    // SAFETY: kill is async-signal-safe; the PID is our own child's, reaped only after it ends.
    unsafe { libc::kill(pid, signal) };
}

pub struct WorkersBackend {
    python: PathBuf,
    backend_id: u32,
    worker: RefCell<Option<Worker>>,
    incarnation: Cell<u16>,
    next_rid: Cell<u64>,
    /// The Lisp side's handles: slots (reused, with generations, as on every backend) holding
    /// the worker's handle numbers (never reused).
    table: RefCell<HandleTable<u32>>,
    /// Handles the Lisp side dropped; their numbers go with the next request.
    pending_release: RefCell<Vec<HandleId>>,
    lent: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    /// Typed arrays moved into shared memory, by id: the file descriptor the worker maps.
    shared: RefCell<HashMap<BufferId, (std::rc::Weak<SharedBuffer>, i32)>>,
    /// Arrays a request sent, kept alive (and their descriptors open) until it is answered.
    holds: RefCell<Vec<(u64, Rc<SharedBuffer>)>>,
    /// Shared arrays the Lisp dropped: the worker lets its mapping go (with the next request).
    unmaps: RefCell<Vec<Val>>,
    returned: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    stats: Cell<Stats>,
    timing: Cell<bool>,
    output: RefCell<Option<OutputHook>>,
    /// The worker's `sys.stdout` was redirected by user code at its last reply (the Lisp's
    /// printing then goes through Python, as on the embedded backend).
    redirected: Cell<bool>,
    /// Submitted requests not answered yet, oldest first.
    inflight: RefCell<VecDeque<u64>>,
    /// Their answers as they come, until the interop takes them.
    answers: RefCell<Vec<(u64, Answer)>>,
    /// The newest submitted request whose answer has been read: requests made from now on
    /// never name it or an older one (they use the values), so the worker lets their kept
    /// values go (each `run` says so).
    acked: Cell<u64>,
    /// The failure that made the worker skip requests was raised: `resume` goes out next.
    resume_due: Cell<bool>,
    /// Inside `(batch ...)`: submitted requests collect here as frames, to go out as one
    /// message.
    batch: RefCell<Vec<u8>>,
    batch_depth: Cell<u32>,
    max_inflight: usize,
    submits: Cell<u32>,
    /// The callback being served (its `seq`; 0: none): requests made inside it say so, and
    /// the worker runs only those while it waits for the callback's return (requests sent
    /// earlier, pipelined behind the call that called back, wait their turn).
    within: Cell<i64>,
}

/// How a workers backend runs: its pool size, in-flight window and shared-memory threshold.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Worker processes (`--workers`; default: the number of cores).
    pub workers: usize,
    /// Unanswered requests per worker before the Lisp waits (`--max-inflight`).
    pub max_inflight: usize,
    /// Typed arrays under this many bytes are copied into the request, not shared
    /// (`--shm-threshold`; 0: all are shared).
    pub shm_threshold: usize,
}

impl Settings {
    pub fn of(config: &crate::bridge::BackendConfig) -> Settings {
        Settings {
            workers: config
                .workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
                .max(1),
            max_inflight: config.max_inflight.unwrap_or(DEFAULT_MAX_INFLIGHT).max(1),
            shm_threshold: config.shm_threshold.unwrap_or(0),
        }
    }
}

/// Unanswered requests allowed by default (`--max-inflight`): enough to keep the worker busy
/// while the Lisp side runs ahead, few enough that memory stays small.
pub const DEFAULT_MAX_INFLIGHT: usize = 1024;
/// Requests queued while the worker is busy are written once this many wait (or bytes).
const QUEUE_FRAMES: usize = 64;
const QUEUE_BYTES: usize = 64 * 1024;

/// The kinds of message a worker sends (docs/protocol.md §5).
const KINDS: &[&str] = &[
    "result",
    "meta-result",
    "error",
    "skipped",
    "callback",
    "output",
    "hello",
    "freed",
];

/// A failure of the bridge itself (not a Python exception), at step 0.
fn failure(type_name: &str, message: String) -> Box<PyFailure> {
    Box::new(PyFailure {
        step: 0,
        type_name: type_name.into(),
        message,
        exception: None,
        interrupt: false,
        lisp_error: None,
    })
}

impl WorkersBackend {
    /// A backend whose worker starts with the first request.
    pub fn start(python: PathBuf, settings: Settings) -> Result<WorkersBackend, String> {
        let max_inflight = Some(settings.max_inflight);
        crate::bridge::interrupt::set_python_hook(interrupt_worker);
        Ok(WorkersBackend {
            python,
            backend_id: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            worker: RefCell::new(None),
            incarnation: Cell::new(0),
            next_rid: Cell::new(1),
            table: RefCell::new(HandleTable::new(OwnerId::default())),
            pending_release: RefCell::new(Vec::new()),
            lent: RefCell::new(HashMap::new()),
            shared: RefCell::new(HashMap::new()),
            holds: RefCell::new(Vec::new()),
            unmaps: RefCell::new(Vec::new()),
            returned: RefCell::new(HashMap::new()),
            stats: Cell::new(Stats::default()),
            timing: Cell::new(false),
            output: RefCell::new(None),
            redirected: Cell::new(false),
            inflight: RefCell::new(VecDeque::new()),
            answers: RefCell::new(Vec::new()),
            acked: Cell::new(0),
            resume_due: Cell::new(false),
            batch: RefCell::new(Vec::new()),
            batch_depth: Cell::new(0),
            max_inflight: max_inflight.unwrap_or(DEFAULT_MAX_INFLIGHT).max(1),
            submits: Cell::new(0),
            within: Cell::new(0),
        })
    }

    fn owner(&self) -> OwnerId {
        OwnerId {
            backend: self.backend_id,
            worker: 1,
            incarnation: self.incarnation.get(),
        }
    }

    /// The running worker, started (or restarted) if needed.
    fn ensure_worker(&self) -> Result<(), Box<PyFailure>> {
        if self.worker.borrow().is_some() {
            return Ok(());
        }
        let mut w = Worker::spawn(&self.python).map_err(|e| failure("WorkerDied", e))?;
        self.incarnation.set(self.incarnation.get().wrapping_add(1));
        *self.table.borrow_mut() = HandleTable::new(self.owner());
        self.pending_release.borrow_mut().clear();
        if self.output.borrow().is_some() {
            w.send(&Val::List(vec![Val::str("capture"), Val::Bool(true)]))
                .map_err(|d| failure("WorkerDied", self.died_message(&d)))?;
        }
        *self.worker.borrow_mut() = Some(w);
        Ok(())
    }

    fn died_message(&self, d: &process::Died) -> String {
        format!(
            "the Python worker (worker 1, incarnation {}) died: {}; the next call starts a new one, and its old handles are stale",
            self.incarnation.get(),
            d.0
        )
    }

    /// The worker is gone: forget it (the next request starts another).
    fn lose_worker(&self, d: &process::Died) -> Box<PyFailure> {
        let mut msg = self.died_message(d);
        if self.worker.borrow().as_ref().is_some_and(|w| !w.answered) {
            // It never got as far as answering: most likely not a Python that can run it.
            msg.push_str(&format!(
                " (it never answered: is {} a Python 3.8 or newer?)",
                self.python.display()
            ));
        }
        *self.worker.borrow_mut() = None;
        self.pending_release.borrow_mut().clear();
        self.batch.borrow_mut().clear();
        self.resume_due.set(false);
        self.holds.borrow_mut().clear();
        self.unmaps.borrow_mut().clear();
        // Every call in flight fails with it.
        let lost: Vec<u64> = self.inflight.borrow_mut().drain(..).collect();
        let died = failure("WorkerDied", msg);
        self.answers
            .borrow_mut()
            .extend(lost.into_iter().map(|t| (t, Answer::Failed(died.clone()))));
        died
    }

    /// Sends a message now (after the requests queued before it).
    fn send(&self, v: &Val) -> Result<(), Box<PyFailure>> {
        self.seal_batch()?;
        let r = match self.worker.borrow_mut().as_mut() {
            Some(w) => w.send(v),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(&d))
    }

    /// Queues a request (after `resume`, when a failure has been raised since the last one).
    fn queue_request(&self, v: Val) -> Result<(), Box<PyFailure>> {
        let mut pre = Vec::new();
        if self.resume_due.replace(false) {
            pre.push(Val::List(vec![Val::str("resume")]));
        }
        if self.next_rid.get().is_multiple_of(32) {
            self.sweep_shared();
        }
        let unmaps = std::mem::take(&mut *self.unmaps.borrow_mut());
        if !unmaps.is_empty() {
            pre.push(Val::List(vec![Val::str("unmap"), Val::List(unmaps)]));
        }
        if self.batch_depth.get() > 0 {
            let mut b = self.batch.borrow_mut();
            for m in pre.iter().chain([&v]) {
                codec::frame_into(m, &mut b).map_err(|e| {
                    failure("RuntimeError", format!("cannot encode a request: {e}"))
                })?;
            }
            return Ok(());
        }
        let r = match self.worker.borrow_mut().as_mut() {
            Some(w) => pre.iter().chain([&v]).try_for_each(|m| w.queue(m)),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(&d))
    }

    /// The requests a batch collected, queued as one `batch` message.
    fn seal_batch(&self) -> Result<(), Box<PyFailure>> {
        let frames = std::mem::take(&mut *self.batch.borrow_mut());
        if frames.is_empty() {
            return Ok(());
        }
        let msg = Val::List(vec![Val::str("batch"), Val::Bytes(frames)]);
        let r = match self.worker.borrow_mut().as_mut() {
            Some(w) => w.queue(&msg),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(&d))
    }

    fn flush(&self) -> Result<(), Box<PyFailure>> {
        self.seal_batch()?;
        let r = match self.worker.borrow_mut().as_mut() {
            Some(w) => w.flush(),
            None => return Ok(()),
        };
        r.map_err(|d| self.lose_worker(&d))
    }

    fn recv(&self) -> Result<Val, Box<PyFailure>> {
        self.seal_batch()?;
        let r = match self.worker.borrow_mut().as_mut() {
            Some(w) => w.recv(),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(&d))
    }

    fn handle_number(&self, id: HandleId) -> Result<u32, Box<PyFailure>> {
        let owner = self.owner();
        if id.owner.backend != owner.backend {
            return Err(failure(
                "RuntimeError",
                format!("Python handle h{} belongs to another session", id.index),
            ));
        }
        if id.owner.incarnation != owner.incarnation || self.worker.borrow().is_none() {
            return Err(failure(
                "RuntimeError",
                format!(
                    "stale Python handle h{}: its worker died and was restarted",
                    id.index
                ),
            ));
        }
        match self.table.borrow().get(id) {
            Some(n) => Ok(*n),
            None => Err(failure(
                "RuntimeError",
                format!("stale Python handle h{} (it was released)", id.index),
            )),
        }
    }

    fn handle_id(&self, n: u32) -> HandleId {
        self.table.borrow_mut().insert(n)
    }

    /// The worker numbers of the handles dropped since the last request, their slots freed.
    fn take_releases(&self) -> Vec<Val> {
        let ids = std::mem::take(&mut *self.pending_release.borrow_mut());
        let mut t = self.table.borrow_mut();
        ids.into_iter()
            .filter_map(|id| t.remove(id))
            .map(|n| Val::Int(n.into()))
            .collect()
    }

    fn to_val(&self, v: &WireValue, depth: usize) -> Result<Val, Box<PyFailure>> {
        if depth % 32 == 31 {
            return crate::stack::guarded(|| self.to_val_here(v, depth));
        }
        self.to_val_here(v, depth)
    }

    fn to_val_here(&self, v: &WireValue, depth: usize) -> Result<Val, Box<PyFailure>> {
        if depth > codec::MAX_DEPTH {
            return Err(failure(
                "RecursionError",
                "a value nested deeper than 1000 levels cannot cross to Python".into(),
            ));
        }
        let many = |items: &[WireValue]| -> Result<Vec<Val>, Box<PyFailure>> {
            items.iter().map(|x| self.to_val(x, depth + 1)).collect()
        };
        Ok(match v {
            WireValue::None => Val::None,
            WireValue::Bool(b) => Val::Bool(*b),
            WireValue::Int(i) => Val::Int(*i),
            WireValue::BigInt(h) => Val::Big(h.clone()),
            WireValue::Float(f) => Val::Float(*f),
            WireValue::Str(s) => Val::Str(s.clone()),
            WireValue::List(items) => Val::List(many(items)?),
            WireValue::Tuple(items) => Val::Tuple(many(items)?),
            WireValue::Dict(pairs) => Val::Dict(
                pairs
                    .iter()
                    .map(|(k, x)| Ok((self.to_val(k, depth + 1)?, self.to_val(x, depth + 1)?)))
                    .collect::<Result<_, Box<PyFailure>>>()?,
            ),
            WireValue::Handle(id) => Val::Handle(self.handle_number(*id)?),
            WireValue::Callback(c) => Val::Callback(c.0),
            WireValue::Step(i) => Val::Step(*i as u32),
            WireValue::Pending(t) => Val::Pending(*t),
            WireValue::Array(a) => {
                let Some(b) = self.lent.borrow().get(&a.buffer).cloned() else {
                    return Err(failure("RuntimeError", "a typed array was not lent".into()));
                };
                let shape = a.shape.clone().unwrap_or_else(|| vec![a.len]);
                if let Some(fd) = self.share(&b) {
                    self.holds
                        .borrow_mut()
                        .push((self.next_rid.get(), b.clone()));
                    return Ok(Val::Shared {
                        dtype: a.dtype.name().to_string(),
                        shape,
                        id: b.id().0,
                        fd: fd as u32,
                        bytes: b.byte_len() as u64,
                        readonly: b.readonly(),
                    });
                }
                // SAFETY: the buffer is alive (held in `lent`) and holds byte_len bytes.
                let data = unsafe { std::slice::from_raw_parts(b.as_ptr(), b.byte_len()) }.to_vec();
                Val::Array {
                    dtype: a.dtype.name().to_string(),
                    shape: a.shape.clone().unwrap_or_else(|| vec![a.len]),
                    data,
                }
            }
        })
    }

    fn value_of(&self, v: Val) -> WireValue {
        // Decoded values nest at most codec::MAX_DEPTH deep; grow the stack as needed.
        crate::stack::guarded(|| self.value_of_here(v))
    }

    fn value_of_here(&self, v: Val) -> WireValue {
        match v {
            Val::None => WireValue::None,
            Val::Bool(b) => WireValue::Bool(b),
            Val::Int(i) => WireValue::Int(i),
            Val::Big(h) => WireValue::BigInt(h),
            Val::Float(f) => WireValue::Float(f),
            Val::Str(s) => WireValue::Str(s),
            Val::Bytes(b) => {
                WireValue::List(b.into_iter().map(|x| WireValue::Int(x.into())).collect())
            }
            Val::List(items) => {
                WireValue::List(items.into_iter().map(|x| self.value_of(x)).collect())
            }
            Val::Tuple(items) => {
                WireValue::Tuple(items.into_iter().map(|x| self.value_of(x)).collect())
            }
            Val::Dict(pairs) => WireValue::Dict(
                pairs
                    .into_iter()
                    .map(|(k, x)| (self.value_of(k), self.value_of(x)))
                    .collect(),
            ),
            Val::Handle(n) => WireValue::Handle(self.handle_id(n)),
            Val::Callback(c) => WireValue::Callback(CallbackId(c)),
            Val::Step(_) | Val::Pending(_) => WireValue::None,
            Val::Array { dtype, shape, data } => self.array_result(&dtype, shape, data),
            Val::Shared { id, shape, .. } => {
                // One of ours, as it went (`->lisp` of an ndarray over its memory).
                let b = self
                    .shared
                    .borrow()
                    .get(&BufferId(id))
                    .and_then(|(w, _)| w.upgrade());
                match b {
                    Some(b) => {
                        let r = ArrayRef {
                            buffer: b.id(),
                            dtype: b.dtype(),
                            len: b.len(),
                            shape: (shape.len() > 1).then_some(shape),
                        };
                        self.returned.borrow_mut().insert(b.id(), b);
                        WireValue::Array(r)
                    }
                    None => WireValue::None,
                }
            }
        }
    }

    /// The descriptor of `b`'s shared memory, moving it there first (None: it cannot move,
    /// and is copied instead).
    fn share(&self, b: &Rc<SharedBuffer>) -> Option<i32> {
        if let Some((w, fd)) = self.shared.borrow().get(&b.id()) {
            if w.strong_count() > 0 {
                return Some(*fd);
            }
        }
        let fd = shm::share(b).ok()?;
        self.shared
            .borrow_mut()
            .insert(b.id(), (Rc::downgrade(b), fd));
        Some(fd)
    }

    /// Shared arrays dropped since the last look: their ids, for the worker to unmap.
    fn sweep_shared(&self) {
        let mut shared = self.shared.borrow_mut();
        if shared.is_empty() {
            return;
        }
        let dead: Vec<BufferId> = shared
            .iter()
            .filter(|(_, (w, _))| w.strong_count() == 0)
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            shared.remove(&id);
            self.unmaps.borrow_mut().push(Val::Int(id.0 as i64));
        }
    }

    /// The request `rid` (and every one before it) was answered: its arrays may go.
    fn answered(&self, rid: u64) {
        let mut holds = self.holds.borrow_mut();
        if !holds.is_empty() {
            holds.retain(|(r, _)| *r > rid);
        }
    }

    /// An array the worker sent (`->lisp` of an ndarray): a new typed array with its data.
    fn array_result(&self, dtype: &str, shape: Vec<usize>, data: Vec<u8>) -> WireValue {
        let Some(dt) = DType::from_name(dtype) else {
            return WireValue::None;
        };
        let len = data.len() / dt.size().max(1);
        let Ok(b) = SharedBuffer::try_zeroed(dt, len) else {
            return WireValue::None;
        };
        // SAFETY: the new buffer holds len * size >= data.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), b.as_ptr(), len * dt.size()) };
        let b = Rc::new(b);
        let r = ArrayRef {
            buffer: b.id(),
            dtype: dt,
            len,
            shape: (shape.len() > 1).then_some(shape),
        };
        self.returned.borrow_mut().insert(b.id(), b);
        WireValue::Array(r)
    }

    fn steps_of(&self, req: &ChainRequest) -> Result<Val, Box<PyFailure>> {
        Ok(Val::List(
            req.steps
                .iter()
                .map(|s| self.step_val(s))
                .collect::<Result<_, _>>()?,
        ))
    }

    fn step_val(&self, s: &Step) -> Result<Val, Box<PyFailure>> {
        let w = |v: &WireValue| self.to_val(v, 0);
        let ws = |vs: &[WireValue]| -> Result<Val, Box<PyFailure>> {
            Ok(Val::List(vs.iter().map(w).collect::<Result<_, _>>()?))
        };
        let op = |name: &str, mut rest: Vec<Val>| {
            rest.insert(0, Val::str(name));
            Val::List(rest)
        };
        let pairs = |ps: &[(WireValue, WireValue)]| -> Result<Val, Box<PyFailure>> {
            Ok(Val::List(
                ps.iter()
                    .map(|(k, v)| Ok(Val::List(vec![w(k)?, w(v)?])))
                    .collect::<Result<_, Box<PyFailure>>>()?,
            ))
        };
        Ok(match s {
            Step::Import(n) => op("import", vec![Val::str(n)]),
            Step::GetAttr(t, n) => op("getattr", vec![w(t)?, Val::str(n)]),
            Step::Call(t, args, kwargs) => op(
                "call",
                vec![
                    w(t)?,
                    ws(args)?,
                    Val::List(
                        kwargs
                            .iter()
                            .map(|(k, v)| Ok(Val::List(vec![Val::str(k), w(v)?])))
                            .collect::<Result<_, Box<PyFailure>>>()?,
                    ),
                ],
            ),
            Step::GetItem(t, k) => op("getitem", vec![w(t)?, w(k)?]),
            Step::SetAttr(t, n, v) => op("setattr", vec![w(t)?, Val::str(n), w(v)?]),
            Step::Eval(src) => op("eval", vec![Val::str(src)]),
            Step::Exec(src) => op("exec", vec![Val::str(src)]),
            Step::Await(x) => op("await", vec![w(x)?]),
            Step::Iter(x) => op("iter", vec![w(x)?]),
            Step::Take(x, n) => op("take", vec![w(x)?, Val::Int(*n as i64)]),
            Step::ToLisp(x) => op("tolisp", vec![w(x)?]),
            Step::AsHandle(x) => op("ashandle", vec![w(x)?]),
            Step::Builtin(n) => op("builtin", vec![Val::str(n)]),
            Step::MakeException(c, m) => op("mkexc", vec![Val::str(c), Val::str(m)]),
            Step::IsIterator(x) => op("isiter", vec![w(x)?]),
            Step::LazySeq(o, args) => op("lazy", vec![Val::str(o.name()), ws(args)?]),
            Step::Throwable(x) => op("throwable", vec![w(x)?]),
            Step::Binary(o, a, b) => op("binary", vec![Val::str(binary_name(*o)), w(a)?, w(b)?]),
            Step::Compare(c, vs) => op("compare", vec![Val::str(compare_name(*c)), ws(vs)?]),
            Step::Unary(u, a) => op("unary", vec![Val::str(unary_name(*u)), w(a)?]),
            Step::SetItem(t, k, v) => op("setitem", vec![w(t)?, w(k)?, w(v)?]),
            Step::DelItem(t, k) => op("delitem", vec![w(t)?, w(k)?]),
            Step::DelAttr(t, n) => op("delattr", vec![w(t)?, Val::str(n)]),
            Step::Len(t) => op("len", vec![w(t)?]),
            Step::Contains(c, x) => op("contains", vec![w(c)?, w(x)?]),
            Step::Assoc(t, ps) => op("assoc", vec![w(t)?, pairs(ps)?]),
            Step::Dissoc(t, ks) => op("dissoc", vec![w(t)?, ws(ks)?]),
            Step::Conj(t, xs) => op("conj", vec![w(t)?, ws(xs)?]),
        })
    }

    /// The `run` message for a request (`keep`: the worker keeps its value for later requests).
    fn run_message(&self, rid: u64, steps: Val, mode: ResultMode, keep: bool) -> Val {
        let releases = self.take_releases();
        let mode = Val::str(match mode {
            ResultMode::Auto => "auto",
            ResultMode::Handle => "handle",
            ResultMode::Deep => "deep",
            ResultMode::Items => "items",
        });
        let mut msg = vec![
            Val::str("run"),
            Val::Int(rid as i64),
            mode,
            steps,
            Val::List(releases),
            Val::Bool(keep),
            Val::Int(self.acked.get() as i64),
        ];
        if self.within.get() != 0 {
            msg.push(Val::Int(self.within.get()));
        }
        Val::List(msg)
    }

    fn new_rid(&self) -> u64 {
        let rid = self.next_rid.get();
        self.next_rid.set(rid + 1);
        rid
    }

    /// Sends a run request and waits for its answer, serving callbacks and output meanwhile.
    fn run(
        &self,
        steps: Val,
        mode: ResultMode,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        let started = Instant::now();
        let rid = self.new_rid();
        let msg = self.run_message(rid, steps, mode, false);
        self.queue_request(msg)?;
        let r = self.wait_for(rid, host);
        let mut s = self.stats.get();
        s.requests += 1;
        if self.timing.get() {
            s.python_nanos += started.elapsed().as_nanos() as u64;
        }
        self.stats.set(s);
        self.lent.borrow_mut().clear();
        r
    }

    /// Queues a request whose answer is read later; writes the queue when the worker has
    /// answered everything it was sent (it would otherwise sit idle), when the queue is long,
    /// and never inside a batch.
    fn submit_request(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<u64, Box<PyFailure>> {
        // Backpressure: at most max_inflight unanswered.
        loop {
            let oldest = {
                let f = self.inflight.borrow();
                (f.len() >= self.max_inflight)
                    .then(|| f.front().copied())
                    .flatten()
            };
            match oldest {
                Some(t) => self.wait(Some(t), host),
                None => break,
            }
        }
        self.ensure_worker()?;
        let steps = self.steps_of(req)?;
        let rid = self.new_rid();
        let msg = self.run_message(rid, steps, req.mode, true);
        self.queue_request(msg)?;
        self.lent.borrow_mut().clear();
        self.inflight.borrow_mut().push_back(rid);
        let mut s = self.stats.get();
        s.requests += 1;
        self.stats.set(s);
        if self.batch_depth.get() > 0 {
            return Ok(rid);
        }
        let (frames, bytes) = self.queued();
        // Sent and unanswered: the worker is busy with those (a `resume` before a request
        // makes this an underestimate: the queue is then written sooner).
        let busy = self.inflight.borrow().len().saturating_sub(frames);
        if busy == 0 || frames >= QUEUE_FRAMES || bytes >= QUEUE_BYTES {
            self.flush()?;
        } else {
            let n = self.submits.get().wrapping_add(1);
            self.submits.set(n);
            if n.is_multiple_of(16) {
                // Read what has come (answers, callbacks): the worker may be done.
                self.pump(host)?;
                let (frames, _) = self.queued();
                if self.inflight.borrow().len() <= frames {
                    self.flush()?;
                }
            }
        }
        Ok(rid)
    }

    fn queued(&self) -> (usize, usize) {
        self.worker.borrow().as_ref().map_or((0, 0), |w| w.queued())
    }

    /// Handles the messages that have come, without waiting.
    fn pump(&self, host: &mut dyn CallbackHost) -> Result<(), Box<PyFailure>> {
        loop {
            let r = match self.worker.borrow_mut().as_mut() {
                Some(w) => w.try_recv(),
                None => return Ok(()),
            };
            match r.map_err(|d| self.lose_worker(&d))? {
                Some(msg) => {
                    self.on_message(msg, host, None)?;
                }
                None => return Ok(()),
            }
        }
    }

    /// Reads until `ticket` (or every submitted request) is answered; a worker that dies
    /// fails them all (their answers say so).
    fn wait_answers(&self, ticket: Option<u64>, host: &mut dyn CallbackHost) {
        loop {
            let waiting = {
                let f = self.inflight.borrow();
                match ticket {
                    Some(t) => f.contains(&t),
                    None => !f.is_empty(),
                }
            };
            if !waiting {
                return;
            }
            let r = self
                .recv_waiting()
                .and_then(|msg| self.on_message(msg, host, None));
            if let Err(f) = r {
                // Not a death (that answered everything in flight): a protocol failure. The
                // calls in flight cannot be trusted to be answered: fail them.
                let lost: Vec<u64> = self.inflight.borrow_mut().drain(..).collect();
                self.answers
                    .borrow_mut()
                    .extend(lost.into_iter().map(|t| (t, Answer::Failed(f.clone()))));
            }
        }
    }

    /// The next message, waiting for it as a request's reply is waited for (Ctrl-C goes to
    /// the worker meanwhile).
    fn recv_waiting(&self) -> Result<Val, Box<PyFailure>> {
        let pid = self.worker.borrow().as_ref().map_or(0, |w| w.pid());
        let was_running = RUNNING_PID.swap(pid, Ordering::SeqCst);
        let was_in_python = IN_PYTHON.swap(true, Ordering::Relaxed);
        let msg = self.recv();
        IN_PYTHON.store(was_in_python, Ordering::Relaxed);
        RUNNING_PID.store(was_running, Ordering::SeqCst);
        msg
    }

    /// Reads messages until the answer to `rid`.
    fn wait_for(&self, rid: u64, host: &mut dyn CallbackHost) -> Result<WireValue, Box<PyFailure>> {
        loop {
            let msg = self.recv_waiting()?;
            if let Some(r) = self.on_message(msg, host, Some(rid))? {
                return r;
            }
        }
    }

    /// Acts on one message from the worker: the answer to `want` is returned; answers to
    /// submitted requests are kept for the interop; callbacks are served, output forwarded.
    #[allow(clippy::type_complexity)]
    fn on_message(
        &self,
        msg: Val,
        host: &mut dyn CallbackHost,
        want: Option<u64>,
    ) -> Result<Option<Result<WireValue, Box<PyFailure>>>, Box<PyFailure>> {
        let items = msg.items();
        let named = items.first().and_then(Val::as_str).unwrap_or("");
        let kind: &'static str = KINDS.iter().find(|k| **k == named).copied().unwrap_or("?");
        let rid = items.get(1).and_then(Val::as_int).map(|r| r as u64);
        match kind {
            "result" | "meta-result" | "error" | "skipped" => {
                let answer = match kind {
                    "result" | "meta-result" => {
                        if kind == "result" {
                            self.note_flags(items.get(3));
                        }
                        let Val::List(mut items) = msg else {
                            unreachable!("items() of a non-list is empty")
                        };
                        Ok(self.value_of(items.swap_remove(2)))
                    }
                    "error" => {
                        self.note_flags(items.get(8));
                        Err(self.error_of(items))
                    }
                    _ => Err(failure("Skipped", "not run: an earlier call failed".into())),
                };
                if let Some(r) = rid {
                    self.answered(r);
                }
                if rid.is_some() && rid == want {
                    return Ok(Some(answer));
                }
                let t = rid.unwrap_or(u64::MAX);
                let pos = self.inflight.borrow().iter().position(|x| *x == t);
                match pos {
                    Some(i) => {
                        self.inflight.borrow_mut().remove(i);
                        self.acked.set(self.acked.get().max(t));
                        let a = match answer {
                            Ok(v) => Answer::Value(v),
                            Err(f) if f.type_name == "Skipped" && kind == "skipped" => {
                                Answer::Skipped
                            }
                            Err(f) => Answer::Failed(f),
                        };
                        self.answers.borrow_mut().push((t, a));
                    }
                    None => {
                        return Err(failure(
                            "RuntimeError",
                            format!("the worker answered a request nobody waits for ({kind})"),
                        ))
                    }
                }
            }
            "callback" => self.serve_callback(items, host)?,
            "output" => {
                let stream = match items.get(1).and_then(Val::as_int) {
                    Some(2) => Stream::Stderr,
                    _ => Stream::Stdout,
                };
                let text = items.get(2).and_then(Val::as_str).unwrap_or("");
                match self.output.borrow().as_ref() {
                    Some(hook) => hook(stream, text),
                    None => {
                        use std::io::Write;
                        let _ = match stream {
                            Stream::Stdout => std::io::stdout().write_all(text.as_bytes()),
                            Stream::Stderr => std::io::stderr().write_all(text.as_bytes()),
                        };
                    }
                }
            }
            // The runtime started (process.rs notes that it answered).
            "hello" => {}
            "freed" => {
                if let Some(c) = items.get(1).and_then(Val::as_int) {
                    host.release_callback(CallbackId(c as u32));
                }
            }
            _ => {
                return Err(failure(
                    "RuntimeError",
                    format!("the worker sent an unexpected message ({named})"),
                ))
            }
        }
        Ok(None)
    }

    /// The flags a reply ends with (docs/protocol.md §5): bit 0, stdout redirected.
    fn note_flags(&self, flags: Option<&Val>) {
        let bits = flags.and_then(Val::as_int).unwrap_or(0);
        self.redirected.set(bits & 1 != 0);
    }

    fn error_of(&self, items: &[Val]) -> Box<PyFailure> {
        let text = |i: usize| items.get(i).and_then(Val::as_str).unwrap_or("").to_string();
        Box::new(PyFailure {
            step: items.get(2).and_then(Val::as_int).unwrap_or(0).max(0) as usize,
            type_name: text(3),
            message: text(4),
            exception: match items.get(5) {
                Some(Val::Handle(n)) => Some(self.handle_id(*n)),
                _ => None,
            },
            interrupt: matches!(items.get(6), Some(Val::Bool(true))),
            lisp_error: items.get(7).and_then(Val::as_int).map(|t| t as u64),
        })
    }

    fn serve_callback(
        &self,
        items: &[Val],
        host: &mut dyn CallbackHost,
    ) -> Result<(), Box<PyFailure>> {
        // Python may have redirected stdout around the call (the Lisp prints into it then).
        self.note_flags(items.get(5));
        let seq = items.get(1).cloned().unwrap_or(Val::None);
        let id = CallbackId(items.get(2).and_then(Val::as_int).unwrap_or(0) as u32);
        let args: Vec<WireValue> = items
            .get(3)
            .map(|a| {
                a.items()
                    .iter()
                    .cloned()
                    .map(|v| self.value_of(v))
                    .collect()
            })
            .unwrap_or_default();
        let kwargs: Vec<(String, WireValue)> = items
            .get(4)
            .map(|kw| {
                kw.items()
                    .iter()
                    .filter_map(|p| {
                        let p = p.items();
                        Some((
                            p.first()?.as_str()?.to_string(),
                            self.value_of(p.get(1)?.clone()),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The requests in flight now cannot be answered before this callback returns (the
        // one calling back runs, the later ones wait behind it): while the Lisp function
        // runs, only the requests it makes itself are waited for.
        let outer = std::mem::take(&mut *self.inflight.borrow_mut());
        let within = self
            .within
            .replace(items.get(1).and_then(Val::as_int).unwrap_or(0));
        let called = host.call(id, args, kwargs);
        self.within.set(within);
        {
            // Its own requests were sent before the return: they are answered first.
            let mut f = self.inflight.borrow_mut();
            f.extend(outer);
        }
        let reply = match called {
            Ok(v) => match self.to_val(&v, 0) {
                Ok(v) => vec![Val::Bool(true), v],
                Err(f) => vec![
                    Val::Bool(false),
                    Val::List(vec![Val::str("lisp"), Val::Str(f.message), Val::None]),
                ],
            },
            Err(CallbackFailure::Lisp { message, token }) => vec![
                Val::Bool(false),
                Val::List(vec![
                    Val::str("lisp"),
                    Val::Str(message),
                    Val::Int(token as i64),
                ]),
            ],
            Err(CallbackFailure::Python(h)) => vec![
                Val::Bool(false),
                match self.handle_number(h) {
                    Ok(n) => Val::List(vec![Val::str("python"), Val::str(""), Val::Handle(n)]),
                    Err(f) => Val::List(vec![Val::str("lisp"), Val::Str(f.message), Val::None]),
                },
            ],
            Err(CallbackFailure::Interrupt) => vec![
                Val::Bool(false),
                Val::List(vec![Val::str("interrupt"), Val::str(""), Val::None]),
            ],
        };
        let mut msg = vec![Val::str("return"), seq];
        msg.extend(reply);
        self.send(&Val::List(msg))
    }

    fn meta(&self, op: &str, h: HandleId, arg: Val) -> Option<WireValue> {
        let n = self.handle_number(h).ok()?;
        let rid = self.new_rid();
        self.send(&Val::List(vec![
            Val::str("meta"),
            Val::Int(rid as i64),
            Val::str(op),
            Val::Handle(n),
            arg,
        ]))
        .ok()?;
        let mut host = NoCallbacks;
        self.wait_for(rid, &mut host).ok()
    }
}

/// Meta questions never call back into the Lisp.
struct NoCallbacks;

impl CallbackHost for NoCallbacks {
    fn call(
        &mut self,
        _: CallbackId,
        _: Vec<WireValue>,
        _: Vec<(String, WireValue)>,
    ) -> Result<WireValue, CallbackFailure> {
        Err(CallbackFailure::Lisp {
            message: "Lisp functions cannot be called while describing a value".into(),
            token: 0,
        })
    }
    fn release_callback(&mut self, _: CallbackId) {}
}

fn binary_name(o: BinaryOp) -> &'static str {
    match o {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::TrueDiv => "truediv",
        BinaryOp::FloorDiv => "floordiv",
        BinaryOp::Mod => "mod",
        BinaryOp::Pow => "pow",
        BinaryOp::MatMul => "matmul",
        BinaryOp::BitAnd => "and",
        BinaryOp::BitOr => "or",
        BinaryOp::BitXor => "xor",
        BinaryOp::LShift => "lshift",
        BinaryOp::RShift => "rshift",
    }
}

fn compare_name(c: Comparison) -> &'static str {
    match c {
        Comparison::Eq => "eq",
        Comparison::Ne => "ne",
        Comparison::Lt => "lt",
        Comparison::Le => "le",
        Comparison::Gt => "gt",
        Comparison::Ge => "ge",
        Comparison::Is => "is",
    }
}

fn unary_name(u: UnaryOp) -> &'static str {
    match u {
        UnaryOp::Neg => "neg",
        UnaryOp::Invert => "invert",
        UnaryOp::Truthy => "truthy",
    }
}

impl Backend for WorkersBackend {
    fn execute(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        self.ensure_worker()?;
        let steps = self.steps_of(req)?;
        self.run(steps, req.mode, host)
    }

    fn call_handle(
        &self,
        f: HandleId,
        args: &[WireValue],
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        let req = ChainRequest {
            steps: vec![Step::Call(WireValue::Handle(f), args.to_vec(), Vec::new())],
            mode: ResultMode::Auto,
        };
        self.execute(&req, host)
    }

    fn pipelines(&self) -> bool {
        true
    }

    fn submit(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Option<Result<u64, Box<PyFailure>>> {
        Some(self.submit_request(req, host))
    }

    fn wait(&self, ticket: Option<u64>, host: &mut dyn CallbackHost) {
        self.wait_answers(ticket, host);
    }

    fn take_answers(&self) -> Vec<(u64, Answer)> {
        std::mem::take(&mut *self.answers.borrow_mut())
    }

    fn in_flight(&self) -> bool {
        !self.inflight.borrow().is_empty()
    }

    fn resume(&self) {
        if self.worker.borrow().is_some() {
            self.resume_due.set(true);
        }
    }

    fn interrupt_in_flight(&self) {
        if self.inflight.borrow().is_empty() {
            return;
        }
        if let Some(w) = self.worker.borrow().as_ref() {
            // Its own PID only; a worker between requests drops the signal.
            // SAFETY: kill of our own child, which is reaped only after it ends.
            unsafe { libc::kill(w.pid(), libc::SIGINT) };
        }
    }

    fn begin_batch(&self) {
        self.batch_depth.set(self.batch_depth.get() + 1);
    }

    fn end_batch(&self) {
        let d = self.batch_depth.get().saturating_sub(1);
        self.batch_depth.set(d);
        if d == 0 {
            let _ = self.flush();
        }
    }

    fn release(&self, h: HandleId) {
        if h.owner == self.owner() {
            self.pending_release.borrow_mut().push(h);
        }
    }

    fn lend_buffer(&self, b: &Rc<SharedBuffer>, shape: Option<Vec<usize>>) -> ArrayRef {
        self.lent.borrow_mut().insert(b.id(), b.clone());
        ArrayRef {
            buffer: b.id(),
            dtype: b.dtype(),
            len: b.len(),
            shape,
        }
    }

    fn claim_buffer(&self, r: &ArrayRef) -> Option<Rc<SharedBuffer>> {
        self.returned.borrow_mut().remove(&r.buffer)
    }

    fn describe(&self, h: HandleId, want: Want) -> Option<Description> {
        let arg = match want {
            Want::Type => Val::str("type"),
            Want::Str => Val::str("str"),
            Want::Repr(n) => Val::Int(n as i64),
        };
        match self.meta("describe", h, arg)? {
            WireValue::List(parts) | WireValue::Tuple(parts) => {
                let text = |i: usize| match parts.get(i) {
                    Some(WireValue::Str(s)) => s.clone(),
                    _ => String::new(),
                };
                Some(Description {
                    type_name: text(0),
                    repr: text(1),
                    str: text(2),
                })
            }
            _ => None,
        }
    }

    fn format_exception(&self, h: HandleId) -> String {
        match self.meta("format", h, Val::None) {
            Some(WireValue::Str(s)) => s,
            _ => String::new(),
        }
    }

    fn mro(&self, h: HandleId) -> Vec<String> {
        self.names("mro", h)
    }

    fn dir(&self, h: HandleId) -> Vec<String> {
        self.names("dir", h)
    }

    fn live_handles(&self) -> usize {
        self.table
            .borrow()
            .live()
            .saturating_sub(self.pending_release.borrow().len())
    }

    fn list_handles(&self) -> Vec<HandleId> {
        let pending = self.pending_release.borrow();
        self.table
            .borrow()
            .ids()
            .into_iter()
            .filter(|id| !pending.contains(id))
            .collect()
    }

    fn stats(&self) -> Stats {
        self.stats.get()
    }

    fn set_timing(&self, on: bool) {
        self.timing.set(on);
    }

    fn attach(&self) {}

    fn detach(&self) {}

    fn set_output(&self, hook: Option<OutputHook>) {
        let on = hook.is_some();
        *self.output.borrow_mut() = hook;
        if self.worker.borrow().is_some() {
            let _ = self.send(&Val::List(vec![Val::str("capture"), Val::Bool(on)]));
        }
    }

    fn stdout_redirected(&self) -> bool {
        self.redirected.get()
    }

    fn shutdown(&self) -> Option<i32> {
        let mut w = self.worker.borrow_mut().take()?;
        let releases = self.take_releases();
        if !releases.is_empty() {
            let _ = w.send(&Val::List(vec![Val::str("release"), Val::List(releases)]));
        }
        w.exit()
    }
}

impl WorkersBackend {
    fn names(&self, op: &str, h: HandleId) -> Vec<String> {
        match self.meta(op, h, Val::None) {
            Some(WireValue::List(items)) => items
                .into_iter()
                .filter_map(|v| match v {
                    WireValue::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}
