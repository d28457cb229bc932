//! The workers backend (`--backend workers`): Python in a pool of worker processes, spoken to
//! over the framed protocol of docs/protocol.md ([`codec`]; one process and its supervision in
//! [`process`]; the Python half is `runtime.py`, embedded in the binary; routing between the
//! workers in [`pool`]; values across the pipe in [`values`]; shared memory in [`shm`]).
//!
//! Every chain is one frame; releases of dropped handles ride on the next one. Calls are
//! *submitted* ([`Backend::submit`]): sent without waiting, answered in order, their answers
//! read whenever the Lisp side next waits. Requests queue while a worker is busy and go out
//! together when it has answered what it was sent (or when the Lisp side must wait, or a batch
//! ends: `(batch ...)` is one `batch` message per worker); at most `--max-inflight` requests
//! (and [`MAX_INFLIGHT_BYTES`]) are unanswered per worker, past that the Lisp side waits.
//! While a reply is awaited the worker may call Lisp functions (callbacks, nested to any
//! depth) and forward captured output. Ctrl-C is forwarded to the waited-for worker's PID
//! (KeyboardInterrupt there); a second one within a second kills it. A worker that dies fails
//! every call in flight on it with `WorkerDied` saying why, and the next request to it starts a
//! new one (a new incarnation: handles of the old one are stale), after a back-off when it keeps
//! dying young.
//!
//! Every call goes to the home worker (0) unless it is pinned (`with-worker`, `pool-map`) or
//! its operands live on another worker; see [`pool`].

pub mod codec;
#[cfg(target_arch = "wasm32")]
pub mod inpage;
mod pool;
#[cfg(unix)]
mod process;
#[cfg(unix)]
mod ray;
#[cfg(unix)]
mod shm;
mod values;
// In the browser build the page's Pyodide stands in for the worker process.
#[cfg(target_arch = "wasm32")]
use inpage as process;

#[cfg(unix)]
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

#[cfg(unix)]
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
#[cfg(unix)]
use crate::bridge::interrupt::IN_PYTHON;
use crate::bridge::ir::*;
use crate::buffer::SharedBuffer;
use crate::clock::Instant;
use crate::ids::*;
use codec::Val;
use process::Worker;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
#[cfg(unix)]
use std::sync::atomic::{AtomicI32, AtomicI64};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[cfg(unix)]
/// The PID of the worker running the current request (0: none), for the SIGINT hook.
static RUNNING_PID: AtomicI32 = AtomicI32::new(0);
/// When the last Ctrl-C was forwarded (milliseconds of CLOCK_MONOTONIC).
#[cfg(unix)]
static LAST_INTERRUPT_MS: AtomicI64 = AtomicI64::new(i64::MIN / 2);
static NEXT_OWNER: AtomicU32 = AtomicU32::new(1 << 16);

#[cfg(unix)]
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
#[cfg(unix)]
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

/// How a workers backend runs: its pool size, in-flight window and shared-memory threshold.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Worker processes (`--workers`; default: the number of cores).
    pub workers: usize,
    /// Unanswered requests per worker before the Lisp waits (`--max-inflight`).
    pub max_inflight: usize,
    /// Typed arrays under this many bytes are copied into the request, not shared
    /// (`--shm-threshold`; 0: all are shared).
    pub shm_threshold: usize,
    /// Run the workers as Ray actors (`--backend ray`).
    pub ray: Option<RayLaunch>,
}

/// Where the Ray actors run: a cluster's address, or a local Ray started on demand.
#[derive(Clone, Debug)]
pub struct RayLaunch {
    pub address: Option<String>,
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
            ray: None,
        }
    }
}

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

/// One worker of the pool: its process (when running) and what the host knows of it.
pub(crate) struct Slot {
    /// Its number (`with-worker n`): 0 is the home worker.
    index: usize,
    worker: RefCell<Option<Worker>>,
    incarnation: Cell<u16>,
    /// The Lisp side's handles to its objects: slots (reused, with generations, as on every
    /// backend) holding the worker's handle numbers (never reused).
    table: RefCell<HandleTable<u32>>,
    /// Handles the Lisp side dropped; their numbers go with the next request.
    pending_release: RefCell<Vec<HandleId>>,
    /// Arrays a request sent, kept alive (and their descriptors open) until it is answered.
    holds: RefCell<Vec<(u64, Rc<SharedBuffer>)>>,
    /// Shared arrays this worker has mapped.
    mapped: RefCell<HashSet<BufferId>>,
    /// Shared arrays the Lisp dropped: the worker lets its mapping go (with the next request).
    unmaps: RefCell<Vec<Val>>,
    /// The worker's `sys.stdout` was redirected by user code at its last reply (the Lisp's
    /// printing then goes through Python, as on the embedded backend).
    redirected: Cell<bool>,
    /// Submitted requests not answered yet, oldest first.
    inflight: RefCell<VecDeque<u64>>,
    /// The sizes of the big ones among them (over [`BIG_REQUEST`] bytes), and their sum: the
    /// byte budget of the window.
    sizes: RefCell<HashMap<u64, usize>>,
    inflight_bytes: Cell<usize>,
    /// The newest submitted request whose answer has been read: requests made from now on
    /// never name it or an older one (they use the values), so the worker lets their kept
    /// values go (each `run` says so).
    acked: Cell<u64>,
    /// The failure that made the worker skip requests was raised: `resume` goes out next.
    resume_due: Cell<bool>,
    /// Inside `(batch ...)`: submitted requests collect here as frames, to go out as one
    /// message.
    batch: RefCell<Vec<u8>>,
    submits: Cell<u32>,
    /// The callback being served (its `seq`; 0: none): requests made inside it say so, and
    /// the worker runs only those while it waits for the callback's return (requests sent
    /// earlier, pipelined behind the call that called back, wait their turn).
    within: Cell<i64>,
    /// Supervision: when the running incarnation started, restarts so far, and deaths in a
    /// row soon after starting (the back-off before the next start grows with them).
    started: Cell<Option<Instant>>,
    restarts: Cell<u32>,
    young_deaths: Cell<u32>,
    died_at: Cell<Option<Instant>>,
    /// Its calls in flight are being interrupted (Ctrl-C stopped the Lisp): a SIGINT that
    /// reached it between two requests is dropped there, so it is sent again while they last.
    interrupting: Cell<bool>,
}

impl Slot {
    fn new(index: usize, backend: u32) -> Slot {
        Slot {
            index,
            worker: RefCell::new(None),
            incarnation: Cell::new(0),
            table: RefCell::new(HandleTable::new(OwnerId {
                backend,
                worker: index as u16 + 1,
                incarnation: 0,
            })),
            pending_release: RefCell::new(Vec::new()),
            holds: RefCell::new(Vec::new()),
            mapped: RefCell::new(HashSet::new()),
            unmaps: RefCell::new(Vec::new()),
            redirected: Cell::new(false),
            inflight: RefCell::new(VecDeque::new()),
            sizes: RefCell::new(HashMap::new()),
            inflight_bytes: Cell::new(0),
            acked: Cell::new(0),
            resume_due: Cell::new(false),
            batch: RefCell::new(Vec::new()),
            submits: Cell::new(0),
            within: Cell::new(0),
            started: Cell::new(None),
            restarts: Cell::new(0),
            young_deaths: Cell::new(0),
            died_at: Cell::new(None),
            interrupting: Cell::new(false),
        }
    }

    fn running(&self) -> bool {
        self.worker.borrow().is_some()
    }

    fn pid(&self) -> i32 {
        self.worker.borrow().as_ref().map_or(0, |w| w.pid())
    }

    /// The request was answered: it leaves the window.
    fn left_window(&self, rid: u64) {
        if let Some(n) = self.sizes.borrow_mut().remove(&rid) {
            self.inflight_bytes
                .set(self.inflight_bytes.get().saturating_sub(n));
        }
    }
}

pub struct WorkersBackend {
    python: PathBuf,
    backend_id: u32,
    settings: Settings,
    slots: Vec<Slot>,
    next_rid: Cell<u64>,
    lent: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    /// Typed arrays moved into shared memory, by id: the file descriptor workers map.
    shared: RefCell<HashMap<BufferId, (std::rc::Weak<SharedBuffer>, i32)>>,
    returned: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    stats: Cell<Stats>,
    timing: Cell<bool>,
    output: RefCell<Option<OutputHook>>,
    /// Answers to submitted requests as they come, until the interop takes them.
    answers: RefCell<Vec<(u64, Answer)>>,
    batch_depth: Cell<u32>,
    /// Routing between the workers (see [`pool`]).
    pool: pool::Routing,
    /// The local Ray this backend started (`--backend ray` without an address).
    #[cfg(unix)]
    ray_head: RefCell<Option<ray::LocalRay>>,
}

/// Unanswered requests allowed by default (`--max-inflight`): enough to keep the worker busy
/// while the Lisp side runs ahead, few enough that memory stays small.
pub const DEFAULT_MAX_INFLIGHT: usize = 1024;
/// The bytes of unanswered requests allowed per worker (big arguments copied into requests):
/// past it the Lisp side waits, as past the window's count.
pub const MAX_INFLIGHT_BYTES: usize = 64 << 20;
/// Requests bigger than this count against [`MAX_INFLIGHT_BYTES`] (smaller ones are bounded
/// well enough by the count).
const BIG_REQUEST: usize = 4096;
/// Requests queued while the worker is busy are written once this many wait (or bytes).
const QUEUE_FRAMES: usize = 64;
const QUEUE_BYTES: usize = 64 * 1024;
/// A worker that dies within this long of starting died young: the next start waits, twice
/// as long for each young death in a row (from [`BACKOFF_FIRST`] up to [`BACKOFF_MAX`]).
const YOUNG: Duration = Duration::from_secs(2);
const BACKOFF_FIRST: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

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

impl WorkersBackend {
    /// A backend whose workers start with the first request each gets.
    pub fn start(python: PathBuf, settings: Settings) -> Result<WorkersBackend, String> {
        #[cfg(unix)]
        crate::bridge::interrupt::set_python_hook(interrupt_worker);
        let backend_id = NEXT_OWNER.fetch_add(1, Ordering::Relaxed);
        // On a Ray cluster the actors may be on other machines: arrays are copied (a local
        // Ray started here is this machine, where they are shared).
        let remote = settings.ray.as_ref().is_some_and(|r| r.address.is_some());
        let settings = Settings {
            workers: settings.workers.clamp(1, u16::MAX as usize - 1),
            max_inflight: settings.max_inflight.max(1),
            shm_threshold: if remote {
                usize::MAX
            } else {
                settings.shm_threshold
            },
            ..settings
        };
        Ok(WorkersBackend {
            python,
            backend_id,
            slots: (0..settings.workers)
                .map(|i| Slot::new(i, backend_id))
                .collect(),
            settings,
            next_rid: Cell::new(1),
            lent: RefCell::new(HashMap::new()),
            shared: RefCell::new(HashMap::new()),
            returned: RefCell::new(HashMap::new()),
            stats: Cell::new(Stats::default()),
            timing: Cell::new(false),
            output: RefCell::new(None),
            answers: RefCell::new(Vec::new()),
            batch_depth: Cell::new(0),
            pool: pool::Routing::default(),
            #[cfg(unix)]
            ray_head: RefCell::new(None),
        })
    }

    fn owner(&self, s: &Slot) -> OwnerId {
        OwnerId {
            backend: self.backend_id,
            worker: s.index as u16 + 1,
            incarnation: s.incarnation.get(),
        }
    }

    /// The slot a handle's object lives on (None: not one of this backend's).
    fn slot_of_handle(&self, id: HandleId) -> Option<&Slot> {
        if id.owner.backend != self.backend_id || id.owner.worker == 0 {
            return None;
        }
        self.slots.get(id.owner.worker as usize - 1)
    }

    /// The running worker of `s`, started (or restarted) if needed.
    fn ensure_worker(&self, s: &Slot) -> Result<(), Box<PyFailure>> {
        if s.running() {
            return Ok(());
        }
        if let Some(wait) = self.backoff(s) {
            #[cfg(unix)]
            std::thread::sleep(wait);
            #[cfg(not(unix))]
            let _ = wait;
        }
        let tag = (s.index > 0).then_some(s.index);
        let mut w = match &self.settings.ray {
            None => Worker::spawn(&self.python, tag),
            #[cfg(unix)]
            Some(launch) => self.spawn_ray(launch, tag),
            #[cfg(not(unix))]
            Some(_) => Err("Ray is not available in this build".into()),
        }
        .map_err(|e| failure("WorkerDied", e))?;
        if s.started.get().is_some() {
            s.restarts.set(s.restarts.get() + 1);
        }
        s.started.set(Some(Instant::now()));
        s.incarnation.set(s.incarnation.get().wrapping_add(1));
        *s.table.borrow_mut() = HandleTable::new(self.owner(s));
        s.pending_release.borrow_mut().clear();
        s.mapped.borrow_mut().clear();
        s.acked.set(0);
        if self.output.borrow().is_some() {
            w.send(&Val::List(vec![Val::str("capture"), Val::Bool(true)]))
                .map_err(|d| failure("WorkerDied", self.died_message(s, &d)))?;
        }
        *s.worker.borrow_mut() = Some(w);
        if s.index > 0 {
            self.pool_worker_started(s)?;
        }
        Ok(())
    }

    /// A Ray driver for a worker: on the cluster named, else on a local Ray started now.
    #[cfg(unix)]
    fn spawn_ray(&self, launch: &RayLaunch, tag: Option<usize>) -> Result<Worker, String> {
        if let Some(address) = &launch.address {
            return Worker::spawn_ray(&self.python, address, tag, &[]);
        }
        let mut head = self.ray_head.borrow_mut();
        if head.is_none() {
            *head = Some(ray::LocalRay::start(&self.python, self.slots.len())?);
        }
        let Some(h) = head.as_ref() else {
            return Err("the local Ray is not running".into());
        };
        let env: Vec<(&str, &str)> = h.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Worker::spawn_ray(&self.python, &h.address, tag, &env)
    }

    /// How long to wait before starting `s` again: nothing, unless it keeps dying young.
    fn backoff(&self, s: &Slot) -> Option<Duration> {
        let (Some(started), Some(died)) = (s.started.get(), s.died_at.get()) else {
            return None;
        };
        if died.duration_since(started) >= YOUNG {
            s.young_deaths.set(0);
            return None;
        }
        let n = s.young_deaths.get();
        s.young_deaths.set(n + 1);
        let wait = BACKOFF_FIRST
            .saturating_mul(1u32 << n.min(16))
            .min(BACKOFF_MAX);
        // Time already passed since the death counts.
        wait.checked_sub(died.elapsed()).filter(|w| !w.is_zero())
    }

    fn died_message(&self, s: &Slot, d: &process::Died) -> String {
        let mut msg = format!(
            "the Python worker (worker {}, incarnation {}) died: {}; the next call starts a new one, and its old handles are stale",
            s.index,
            s.incarnation.get(),
            d.0
        );
        let young = s
            .started
            .get()
            .is_some_and(|t| t.elapsed() < YOUNG && s.young_deaths.get() > 0);
        if young {
            msg.push_str(&format!(
                " (it died {} times in a row soon after starting: the next start waits)",
                s.young_deaths.get() + 1
            ));
        }
        msg
    }

    /// The worker of `s` is gone: forget it (the next request to it starts another).
    fn lose_worker(&self, s: &Slot, d: &process::Died) -> Box<PyFailure> {
        let mut msg = self.died_message(s, d);
        if s.worker.borrow().as_ref().is_some_and(|w| !w.answered) {
            // It never got as far as answering: most likely not a Python that can run it.
            msg.push_str(&format!(
                " (it never answered: is {} a Python 3.8 or newer?)",
                self.python.display()
            ));
        }
        *s.worker.borrow_mut() = None;
        s.died_at.set(Some(Instant::now()));
        s.pending_release.borrow_mut().clear();
        s.batch.borrow_mut().clear();
        s.resume_due.set(false);
        s.holds.borrow_mut().clear();
        s.unmaps.borrow_mut().clear();
        s.mapped.borrow_mut().clear();
        s.sizes.borrow_mut().clear();
        s.inflight_bytes.set(0);
        self.pool.forget_slot(s.index);
        // Every call in flight on it fails with it.
        let lost: Vec<u64> = s.inflight.borrow_mut().drain(..).collect();
        let died = failure("WorkerDied", msg);
        self.answers
            .borrow_mut()
            .extend(lost.into_iter().map(|t| (t, Answer::Failed(died.clone()))));
        died
    }

    /// Sends a message now (after the requests queued before it).
    fn send(&self, s: &Slot, v: &Val) -> Result<(), Box<PyFailure>> {
        self.seal_batch(s)?;
        let r = match s.worker.borrow_mut().as_mut() {
            Some(w) => w.send(v),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(s, &d))
    }

    /// Queues a request (after `resume`, when a failure has been raised since the last one).
    fn queue_request(&self, s: &Slot, v: Val) -> Result<(), Box<PyFailure>> {
        let mut pre = Vec::new();
        if s.resume_due.replace(false) {
            pre.push(Val::List(vec![Val::str("resume")]));
        }
        if self.next_rid.get().is_multiple_of(32) {
            self.sweep_shared();
        }
        let unmaps = std::mem::take(&mut *s.unmaps.borrow_mut());
        if !unmaps.is_empty() {
            pre.push(Val::List(vec![Val::str("unmap"), Val::List(unmaps)]));
        }
        if self.batch_depth.get() > 0 {
            let mut b = s.batch.borrow_mut();
            for m in pre.iter().chain([&v]) {
                codec::frame_into(m, &mut b).map_err(|e| {
                    failure("RuntimeError", format!("cannot encode a request: {e}"))
                })?;
            }
            return Ok(());
        }
        let r = match s.worker.borrow_mut().as_mut() {
            Some(w) => pre.iter().chain([&v]).try_for_each(|m| w.queue(m)),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(s, &d))
    }

    /// The requests a batch collected, queued as one `batch` message.
    fn seal_batch(&self, s: &Slot) -> Result<(), Box<PyFailure>> {
        let frames = std::mem::take(&mut *s.batch.borrow_mut());
        if frames.is_empty() {
            return Ok(());
        }
        let msg = Val::List(vec![Val::str("batch"), Val::Bytes(frames)]);
        let r = match s.worker.borrow_mut().as_mut() {
            Some(w) => w.queue(&msg),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(s, &d))
    }

    fn flush(&self, s: &Slot) -> Result<(), Box<PyFailure>> {
        self.seal_batch(s)?;
        let r = match s.worker.borrow_mut().as_mut() {
            Some(w) => w.flush(),
            None => return Ok(()),
        };
        r.map_err(|d| self.lose_worker(s, &d))
    }

    fn recv(&self, s: &Slot) -> Result<Val, Box<PyFailure>> {
        self.seal_batch(s)?;
        // In the page, receiving runs Python, which may call back into the Lisp (and so into
        // this slot): nothing of the slot stays borrowed meanwhile.
        #[cfg(target_arch = "wasm32")]
        let r = {
            let w = s.worker.borrow().as_ref().map(Worker::handle);
            match w {
                Some(mut w) => w.recv(),
                None => return Err(failure("WorkerDied", "no worker".into())),
            }
        };
        #[cfg(not(target_arch = "wasm32"))]
        let r = match s.worker.borrow_mut().as_mut() {
            Some(w) => w.recv(),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(s, &d))
    }

    /// The next message from `s`, waited for as a reply is: in the page, what Python sends
    /// while it needs the host (callbacks, output) is served by this wait meanwhile.
    fn recv_served(&self, s: &Slot, host: &mut dyn CallbackHost) -> Result<Val, Box<PyFailure>> {
        #[cfg(target_arch = "wasm32")]
        {
            let mut serve = |msg: Val| {
                self.on_message(s, msg, host, None)
                    .map(|_| ())
                    .map_err(|f| f.message)
            };
            process::serving(&mut serve, || self.recv_waiting(s))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = host;
            self.recv_waiting(s)
        }
    }

    fn handle_number(&self, s: &Slot, id: HandleId) -> Result<u32, Box<PyFailure>> {
        let owner = self.owner(s);
        if id.owner.backend != owner.backend {
            return Err(failure(
                "RuntimeError",
                format!("Python handle h{} belongs to another session", id.index),
            ));
        }
        if id.owner.worker != owner.worker {
            return Err(failure(
                "RuntimeError",
                format!(
                    "internal: Python handle h{} lives on worker {}, not {}",
                    id.index,
                    id.owner.worker.saturating_sub(1),
                    s.index
                ),
            ));
        }
        if id.owner.incarnation != owner.incarnation || !s.running() {
            return Err(failure(
                "RuntimeError",
                format!(
                    "stale Python handle h{}: its worker ({}) died and was restarted",
                    id.index, s.index
                ),
            ));
        }
        match s.table.borrow().get(id) {
            Some(n) => Ok(*n),
            None => Err(failure(
                "RuntimeError",
                format!("stale Python handle h{} (it was released)", id.index),
            )),
        }
    }

    fn handle_id(&self, s: &Slot, n: u32) -> HandleId {
        s.table.borrow_mut().insert(n)
    }

    /// The worker numbers of the handles dropped since the last request, their slots freed.
    fn take_releases(&self, s: &Slot) -> Vec<Val> {
        let ids = std::mem::take(&mut *s.pending_release.borrow_mut());
        let mut t = s.table.borrow_mut();
        ids.into_iter()
            .filter_map(|id| t.remove(id))
            .map(|n| Val::Int(n.into()))
            .collect()
    }

    /// The `run` message for a request (`keep`: the worker keeps its value for later requests).
    fn run_message(&self, s: &Slot, rid: u64, steps: Val, mode: ResultMode, keep: bool) -> Val {
        let releases = self.take_releases(s);
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
            Val::Int(s.acked.get() as i64),
        ];
        if s.within.get() != 0 {
            msg.push(Val::Int(s.within.get()));
        }
        Val::List(msg)
    }

    fn new_rid(&self) -> u64 {
        let rid = self.next_rid.get();
        self.next_rid.set(rid + 1);
        rid
    }

    /// Runs a request on worker `s` and waits for its answer, serving callbacks and output
    /// meanwhile.
    fn run(
        &self,
        s: &Slot,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        let started = Instant::now();
        self.ensure_worker(s)?;
        let steps = self.steps_of(s, req)?;
        let rid = self.new_rid();
        let msg = self.run_message(s, rid, steps, req.mode, false);
        self.queue_request(s, msg)?;
        let r = self.wait_for(s, rid, host).map(|v| self.value_of(s, v));
        let mut st = self.stats.get();
        st.requests += 1;
        if self.timing.get() {
            st.python_nanos += started.elapsed().as_nanos() as u64;
        }
        self.stats.set(st);
        self.lent.borrow_mut().clear();
        r
    }

    /// Queues a request whose answer is read later; writes the queue when the worker has
    /// answered everything it was sent (it would otherwise sit idle), when the queue is long,
    /// and never inside a batch.
    fn submit_request(
        &self,
        s: &Slot,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<u64, Box<PyFailure>> {
        // Backpressure: at most max_inflight (and MAX_INFLIGHT_BYTES) unanswered.
        loop {
            let oldest = {
                let f = s.inflight.borrow();
                (f.len() >= self.settings.max_inflight
                    || s.inflight_bytes.get() > MAX_INFLIGHT_BYTES)
                    .then(|| f.front().copied())
                    .flatten()
            };
            match oldest {
                Some(t) => self.wait_answers(s, Some(t), host),
                None => break,
            }
        }
        self.ensure_worker(s)?;
        let steps = self.steps_of(s, req)?;
        let rid = self.new_rid();
        let msg = self.run_message(s, rid, steps, req.mode, true);
        let before = self.queued_bytes(s);
        self.queue_request(s, msg)?;
        let size = self.queued_bytes(s).saturating_sub(before);
        if size > BIG_REQUEST {
            s.sizes.borrow_mut().insert(rid, size);
            s.inflight_bytes.set(s.inflight_bytes.get() + size);
        }
        self.lent.borrow_mut().clear();
        s.inflight.borrow_mut().push_back(rid);
        self.pool.submitted(rid, s.index);
        let mut st = self.stats.get();
        st.requests += 1;
        self.stats.set(st);
        if self.batch_depth.get() > 0 {
            return Ok(rid);
        }
        let (frames, bytes) = self.queued(s);
        // Sent and unanswered: the worker is busy with those (a `resume` before a request
        // makes this an underestimate: the queue is then written sooner).
        let busy = s.inflight.borrow().len().saturating_sub(frames);
        if busy == 0 || frames >= QUEUE_FRAMES || bytes >= QUEUE_BYTES {
            self.flush(s)?;
        } else {
            let n = s.submits.get().wrapping_add(1);
            s.submits.set(n);
            if n.is_multiple_of(16) {
                // Read what has come (answers, callbacks): the worker may be done.
                self.pump(s, host)?;
                let (frames, _) = self.queued(s);
                if s.inflight.borrow().len() <= frames {
                    self.flush(s)?;
                }
            }
        }
        Ok(rid)
    }

    fn queued(&self, s: &Slot) -> (usize, usize) {
        s.worker.borrow().as_ref().map_or((0, 0), |w| w.queued())
    }

    /// Bytes queued for `s` and not written yet (in a batch: the batch's).
    fn queued_bytes(&self, s: &Slot) -> usize {
        if self.batch_depth.get() > 0 {
            s.batch.borrow().len()
        } else {
            self.queued(s).1
        }
    }

    /// Handles the messages that have come from `s`, without waiting.
    fn pump(&self, s: &Slot, host: &mut dyn CallbackHost) -> Result<(), Box<PyFailure>> {
        loop {
            let r = match s.worker.borrow_mut().as_mut() {
                Some(w) => w.try_recv(),
                None => return Ok(()),
            };
            match r.map_err(|d| self.lose_worker(s, &d))? {
                Some(msg) => {
                    self.on_message(s, msg, host, None)?;
                }
                None => return Ok(()),
            }
        }
    }

    /// Reads from `s` until `ticket` (or every request submitted to it) is answered; a worker
    /// that dies fails them all (their answers say so).
    fn wait_answers(&self, s: &Slot, ticket: Option<u64>, host: &mut dyn CallbackHost) {
        loop {
            let waiting = {
                let f = s.inflight.borrow();
                match ticket {
                    Some(t) => f.contains(&t),
                    None => !f.is_empty(),
                }
            };
            if !waiting {
                if s.inflight.borrow().is_empty() {
                    s.interrupting.set(false);
                }
                return;
            }
            let r = if s.interrupting.get() {
                self.recv_interrupting(s)
            } else {
                self.recv_served(s, host)
            }
            .and_then(|msg| self.on_message(s, msg, host, None));
            if let Err(f) = r {
                // Not a death (that answered everything in flight): a protocol failure. The
                // calls in flight cannot be trusted to be answered: fail them.
                let lost: Vec<u64> = s.inflight.borrow_mut().drain(..).collect();
                self.answers
                    .borrow_mut()
                    .extend(lost.into_iter().map(|t| (t, Answer::Failed(f.clone()))));
            }
        }
    }

    /// The next message from `s`, waiting for it as a request's reply is waited for (Ctrl-C
    /// goes to that worker meanwhile).
    fn recv_waiting(&self, s: &Slot) -> Result<Val, Box<PyFailure>> {
        // The Lisp side is about to block: what is queued for the other workers goes out
        // first, so that they work meanwhile.
        if self.slots.len() > 1 && self.batch_depth.get() == 0 {
            for other in &self.slots {
                if other.index != s.index && self.queued(other).0 > 0 {
                    let _ = self.flush(other);
                }
            }
        }
        #[cfg(unix)]
        let was_running = RUNNING_PID.swap(s.pid(), Ordering::SeqCst);
        #[cfg(unix)]
        let was_in_python = IN_PYTHON.swap(true, Ordering::Relaxed);
        let msg = self.recv(s);
        #[cfg(unix)]
        IN_PYTHON.store(was_in_python, Ordering::Relaxed);
        #[cfg(unix)]
        RUNNING_PID.store(was_running, Ordering::SeqCst);
        msg
    }

    /// The next message from `s` while its calls are being interrupted: SIGINT again every
    /// 100 ms until something comes.
    #[cfg(unix)]
    fn recv_interrupting(&self, s: &Slot) -> Result<Val, Box<PyFailure>> {
        self.flush(s)?;
        let mut sent = Instant::now();
        loop {
            let r = match s.worker.borrow_mut().as_mut() {
                Some(w) => w.try_recv(),
                None => return Err(failure("WorkerDied", "no worker".into())),
            };
            if let Some(msg) = r.map_err(|d| self.lose_worker(s, &d))? {
                return Ok(msg);
            }
            if sent.elapsed() >= Duration::from_millis(100) {
                // SAFETY: kill of our own child, which is reaped only after it ends.
                unsafe { libc::kill(s.pid(), libc::SIGINT) };
                sent = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// In the page nothing runs between two requests: nothing to signal again.
    #[cfg(not(unix))]
    fn recv_interrupting(&self, s: &Slot) -> Result<Val, Box<PyFailure>> {
        self.recv_waiting(s)
    }

    /// Reads messages from `s` until the answer to `rid` (its value as the worker sent it).
    fn wait_for(
        &self,
        s: &Slot,
        rid: u64,
        host: &mut dyn CallbackHost,
    ) -> Result<Val, Box<PyFailure>> {
        loop {
            let msg = self.recv_served(s, host)?;
            if let Some(r) = self.on_message(s, msg, host, Some(rid))? {
                return r;
            }
        }
    }

    /// Acts on one message from `s`: the answer to `want` is returned (as sent); answers to
    /// submitted requests are kept for the interop; callbacks are served, output forwarded.
    #[allow(clippy::type_complexity)]
    fn on_message(
        &self,
        s: &Slot,
        msg: Val,
        host: &mut dyn CallbackHost,
        want: Option<u64>,
    ) -> Result<Option<Result<Val, Box<PyFailure>>>, Box<PyFailure>> {
        let items = msg.items();
        let named = items.first().and_then(Val::as_str).unwrap_or("");
        let kind: &'static str = KINDS.iter().find(|k| **k == named).copied().unwrap_or("?");
        let rid = items.get(1).and_then(Val::as_int).map(|r| r as u64);
        match kind {
            "result" | "meta-result" | "error" | "skipped" => {
                let answer = match kind {
                    "result" | "meta-result" => {
                        if kind == "result" {
                            self.note_flags(s, items.get(3));
                        }
                        let Val::List(mut items) = msg else {
                            unreachable!("items() of a non-list is empty")
                        };
                        Ok(items.swap_remove(2))
                    }
                    "error" => {
                        self.note_flags(s, items.get(8));
                        Err(self.error_of(s, items))
                    }
                    _ => Err(failure("Skipped", "not run: an earlier call failed".into())),
                };
                if let Some(r) = rid {
                    self.answered(s, r);
                }
                if rid.is_some() && rid == want {
                    return Ok(Some(answer));
                }
                let t = rid.unwrap_or(u64::MAX);
                let pos = s.inflight.borrow().iter().position(|x| *x == t);
                match pos {
                    Some(i) => {
                        s.inflight.borrow_mut().remove(i);
                        s.left_window(t);
                        s.acked.set(s.acked.get().max(t));
                        let a = match answer {
                            Ok(v) => Answer::Value(self.value_of(s, v)),
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
            "callback" => self.serve_callback(s, items, host)?,
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
    fn note_flags(&self, s: &Slot, flags: Option<&Val>) {
        let bits = flags.and_then(Val::as_int).unwrap_or(0);
        s.redirected.set(bits & 1 != 0);
    }

    fn error_of(&self, s: &Slot, items: &[Val]) -> Box<PyFailure> {
        let text = |i: usize| items.get(i).and_then(Val::as_str).unwrap_or("").to_string();
        Box::new(PyFailure {
            step: items.get(2).and_then(Val::as_int).unwrap_or(0).max(0) as usize,
            type_name: text(3),
            message: text(4),
            exception: match items.get(5) {
                Some(Val::Handle(n)) => Some(self.handle_id(s, *n)),
                _ => None,
            },
            interrupt: matches!(items.get(6), Some(Val::Bool(true))),
            lisp_error: items.get(7).and_then(Val::as_int).map(|t| t as u64),
        })
    }

    fn serve_callback(
        &self,
        s: &Slot,
        items: &[Val],
        host: &mut dyn CallbackHost,
    ) -> Result<(), Box<PyFailure>> {
        // Python may have redirected stdout around the call (the Lisp prints into it then).
        self.note_flags(s, items.get(5));
        let seq = items.get(1).cloned().unwrap_or(Val::None);
        let id = CallbackId(items.get(2).and_then(Val::as_int).unwrap_or(0) as u32);
        let args: Vec<WireValue> = items
            .get(3)
            .map(|a| {
                a.items()
                    .iter()
                    .cloned()
                    .map(|v| self.value_of(s, v))
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
                            self.value_of(s, p.get(1)?.clone()),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The requests in flight on this worker cannot be answered before this callback
        // returns (the one calling back runs, the later ones wait behind it): while the Lisp
        // function runs, only the requests it makes itself are waited for there. Its calls go
        // to this worker unless they are pinned elsewhere.
        let outer = std::mem::take(&mut *s.inflight.borrow_mut());
        let within = s
            .within
            .replace(items.get(1).and_then(Val::as_int).unwrap_or(0));
        let pinned = self.pool.enter_callback(s.index);
        let called = host.call(id, args, kwargs);
        self.pool.leave_callback(pinned);
        s.within.set(within);
        {
            // Its own requests were sent before the return: they are answered first.
            let mut f = s.inflight.borrow_mut();
            f.extend(outer);
        }
        let reply = match called {
            Ok(v) => match self.to_val(s, &v, 0) {
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
                match self.handle_number(s, h) {
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
        self.send(s, &Val::List(msg))
    }

    /// A meta question to worker `s` about `subject` (a handle, a pending ticket, or none),
    /// waited for: its answer as the worker sent it.
    fn meta_raw(
        &self,
        s: &Slot,
        op: &str,
        subject: Val,
        arg: Val,
        host: &mut dyn CallbackHost,
    ) -> Result<Val, Box<PyFailure>> {
        self.ensure_worker(s)?;
        let rid = self.new_rid();
        self.send(
            s,
            &Val::List(vec![
                Val::str("meta"),
                Val::Int(rid as i64),
                Val::str(op),
                subject,
                arg,
            ]),
        )?;
        self.wait_for(s, rid, host)
    }

    /// A meta question about a handle (describe, format, mro, dir).
    fn meta(&self, op: &str, h: HandleId, arg: Val) -> Option<WireValue> {
        let s = self.slot_of_handle(h)?;
        let n = self.handle_number(s, h).ok()?;
        let v = self
            .meta_raw(s, op, Val::Handle(n), arg, &mut NoCallbacks)
            .ok()?;
        Some(self.value_of(s, v))
    }

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

impl Backend for WorkersBackend {
    fn execute(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        let (target, req) = self.route(req, host)?;
        let s = &self.slots[target];
        let r = self.run(s, &req, host);
        self.after_call();
        if r.is_ok() {
            self.broadcast_exec(s, &req, host)?;
        }
        r
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
        // In the page Python runs only while the Lisp waits: calls run as they are made.
        cfg!(not(target_arch = "wasm32"))
    }

    fn submit(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Option<Result<u64, Box<PyFailure>>> {
        let r = self
            .route(req, host)
            .and_then(|(target, req)| self.submit_request(&self.slots[target], &req, host));
        self.after_call();
        Some(r)
    }

    fn wait(&self, ticket: Option<u64>, host: &mut dyn CallbackHost) {
        match ticket {
            Some(t) => {
                if let Some(s) = self.slot_of_ticket(t) {
                    self.wait_answers(s, Some(t), host);
                }
            }
            None => {
                for s in &self.slots {
                    self.wait_answers(s, None, host);
                }
            }
        }
    }

    fn answered_before(&self, ticket: u64) -> bool {
        self.slots.len() == 1
            || self
                .slots
                .iter()
                .all(|s| s.inflight.borrow().iter().all(|t| *t >= ticket))
    }

    fn wait_before(&self, ticket: u64, host: &mut dyn CallbackHost) {
        for s in &self.slots {
            loop {
                let earlier = s
                    .inflight
                    .borrow()
                    .iter()
                    .copied()
                    .filter(|t| *t < ticket)
                    .max();
                match earlier {
                    Some(t) => self.wait_answers(s, Some(t), host),
                    None => break,
                }
            }
        }
    }

    fn take_answers(&self) -> Vec<(u64, Answer)> {
        let answers = std::mem::take(&mut *self.answers.borrow_mut());
        for (t, _) in &answers {
            self.pool.answered(*t);
        }
        answers
    }

    fn in_flight(&self) -> bool {
        self.slots.iter().any(|s| !s.inflight.borrow().is_empty())
    }

    fn resume(&self) {
        for s in &self.slots {
            if s.running() {
                s.resume_due.set(true);
            }
        }
    }

    fn interrupt_in_flight(&self) {
        for s in &self.slots {
            if s.inflight.borrow().is_empty() {
                continue;
            }
            if let Some(w) = s.worker.borrow().as_ref() {
                // Its own PID only; a worker between requests drops the signal (it is sent
                // again while the calls last: see recv_interrupting).
                // SAFETY: kill of our own child, which is reaped only after it ends.
                #[cfg(unix)]
                unsafe {
                    libc::kill(w.pid(), libc::SIGINT)
                };
                #[cfg(not(unix))]
                let _ = w;
                s.interrupting.set(true);
            }
        }
    }

    fn begin_batch(&self) {
        self.batch_depth.set(self.batch_depth.get() + 1);
    }

    fn end_batch(&self) {
        let d = self.batch_depth.get().saturating_sub(1);
        self.batch_depth.set(d);
        if d == 0 {
            for s in &self.slots {
                let _ = self.flush(s);
            }
        }
    }

    fn worker_count(&self) -> Option<usize> {
        Some(self.slots.len())
    }

    fn pin_worker(&self, w: Option<usize>) -> Option<usize> {
        self.pin(w)
    }

    fn worker_rows(&self) -> Vec<WorkerRow> {
        self.rows()
    }

    fn spread(&self, h: HandleId, host: &mut dyn CallbackHost) {
        self.spread_handle(h, host);
    }

    fn release(&self, h: HandleId) {
        if let Some(s) = self.slot_of_handle(h) {
            if h.owner == self.owner(s) {
                s.pending_release.borrow_mut().push(h);
            }
            for c in self.pool.released(h) {
                if let Some(cs) = self.slot_of_handle(c) {
                    cs.pending_release.borrow_mut().push(c);
                }
            }
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
        self.slots
            .iter()
            .map(|s| {
                s.table
                    .borrow()
                    .live()
                    .saturating_sub(s.pending_release.borrow().len())
            })
            .sum::<usize>()
            .saturating_sub(self.pool.copies())
    }

    fn list_handles(&self) -> Vec<HandleId> {
        let mut out = Vec::new();
        for s in &self.slots {
            let pending = s.pending_release.borrow();
            out.extend(
                s.table
                    .borrow()
                    .ids()
                    .into_iter()
                    .filter(|id| !pending.contains(id) && !self.pool.is_copy(*id)),
            );
        }
        out
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
        for s in &self.slots {
            if s.running() {
                let _ = self.send(s, &Val::List(vec![Val::str("capture"), Val::Bool(on)]));
            }
        }
    }

    fn stdout_redirected(&self) -> bool {
        // The Lisp prints through the home worker's Python when it redirected stdout.
        self.slots[0].redirected.get()
    }

    fn shutdown(&self) -> Option<i32> {
        let mut status = None;
        for s in &self.slots {
            let Some(mut w) = s.worker.borrow_mut().take() else {
                continue;
            };
            let releases = self.take_releases(s);
            if !releases.is_empty() {
                let _ = w.send(&Val::List(vec![Val::str("release"), Val::List(releases)]));
            }
            let st = w.exit();
            // In the page, what the runtime's exit work printed has come back: show it.
            #[cfg(target_arch = "wasm32")]
            while let Ok(Some(msg)) = w.try_recv() {
                let _ = self.on_message(s, msg, &mut NoCallbacks, None);
            }
            if s.index == 0 {
                status = st;
            }
        }
        #[cfg(unix)]
        if let Some(mut head) = self.ray_head.borrow_mut().take() {
            head.stop();
        }
        status
    }
}
