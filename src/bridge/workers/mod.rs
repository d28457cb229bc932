//! The workers backend (`--backend workers`): Python in a separate worker process, spoken to
//! over the framed protocol of docs/protocol.md ([`codec`]; the process and its supervision in
//! [`process`]; the Python half is `runtime.py`, embedded in the binary).
//!
//! Every chain is one frame; releases of dropped handles ride on the next one. While a reply is
//! awaited the worker may call Lisp functions (callbacks, nested to any depth) and forward
//! captured output. Ctrl-C is forwarded to the worker's PID (KeyboardInterrupt there); a second
//! one within a second kills it. A worker that dies fails the call with `WorkerDied` saying why,
//! and the next request starts a new one (a new incarnation: handles of the old one are stale).
//!
//! What this first version does not do yet: pending values (every call waits for its reply),
//! a pool of several workers, and shared memory for typed arrays (they are copied both ways, so
//! `as-nd` does not share memory with the worker).

pub mod codec;
mod process;

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

use crate::bridge::backend::*;
use crate::bridge::handles::HandleTable;
use crate::bridge::interrupt::IN_PYTHON;
use crate::bridge::ir::*;
use crate::buffer::{DType, SharedBuffer};
use crate::ids::*;
use codec::Val;
use process::Worker;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
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
    returned: RefCell<HashMap<BufferId, Rc<SharedBuffer>>>,
    stats: Cell<Stats>,
    timing: Cell<bool>,
    output: RefCell<Option<OutputHook>>,
    /// The worker's `sys.stdout` was redirected by user code at its last reply (the Lisp's
    /// printing then goes through Python, as on the embedded backend).
    redirected: Cell<bool>,
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

impl WorkersBackend {
    /// A backend whose worker starts with the first request.
    pub fn start(python: PathBuf) -> Result<WorkersBackend, String> {
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
            returned: RefCell::new(HashMap::new()),
            stats: Cell::new(Stats::default()),
            timing: Cell::new(false),
            output: RefCell::new(None),
            redirected: Cell::new(false),
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
        failure("WorkerDied", msg)
    }

    fn send(&self, v: &Val) -> Result<(), Box<PyFailure>> {
        let r = match self.worker.borrow_mut().as_mut() {
            Some(w) => w.send(v),
            None => return Err(failure("WorkerDied", "no worker".into())),
        };
        r.map_err(|d| self.lose_worker(&d))
    }

    fn recv(&self) -> Result<Val, Box<PyFailure>> {
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
            WireValue::Array(a) => {
                let Some(b) = self.lent.borrow().get(&a.buffer).cloned() else {
                    return Err(failure("RuntimeError", "a typed array was not lent".into()));
                };
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
            Val::Step(_) => WireValue::None,
            Val::Array { dtype, shape, data } => self.array_result(&dtype, shape, data),
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

    /// Sends a run request and waits for its answer, serving callbacks and output meanwhile.
    fn run(
        &self,
        steps: Val,
        mode: ResultMode,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        let started = Instant::now();
        let rid = self.next_rid.get();
        self.next_rid.set(rid + 1);
        let releases = self.take_releases();
        let mode = Val::str(match mode {
            ResultMode::Auto => "auto",
            ResultMode::Handle => "handle",
            ResultMode::Deep => "deep",
            ResultMode::Items => "items",
        });
        self.send(&Val::List(vec![
            Val::str("run"),
            Val::Int(rid as i64),
            mode,
            steps,
            Val::List(releases),
        ]))?;
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

    /// Reads messages until the answer to `rid`.
    fn wait_for(&self, rid: u64, host: &mut dyn CallbackHost) -> Result<WireValue, Box<PyFailure>> {
        loop {
            let pid = self.worker.borrow().as_ref().map_or(0, |w| w.pid());
            let was_running = RUNNING_PID.swap(pid, Ordering::SeqCst);
            let was_in_python = IN_PYTHON.swap(true, Ordering::Relaxed);
            let msg = self.recv();
            IN_PYTHON.store(was_in_python, Ordering::Relaxed);
            RUNNING_PID.store(was_running, Ordering::SeqCst);
            let msg = msg?;
            let items = msg.items();
            let kind = items.first().and_then(Val::as_str).unwrap_or("");
            let this = |i: usize| items.get(i).and_then(Val::as_int) == Some(rid as i64);
            match kind {
                "result" | "meta-result" if this(1) => {
                    if kind == "result" {
                        self.note_flags(items.get(3));
                    }
                    let Val::List(mut items) = msg else {
                        unreachable!("items() of a non-list is empty")
                    };
                    return Ok(self.value_of(items.swap_remove(2)));
                }
                "error" if this(1) => {
                    self.note_flags(items.get(8));
                    return Err(self.error_of(items));
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
                        format!("the worker sent an unexpected message ({kind})"),
                    ))
                }
            }
        }
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
        let reply = match host.call(id, args, kwargs) {
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
        let rid = self.next_rid.get();
        self.next_rid.set(rid + 1);
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
        let steps = Val::List(
            req.steps
                .iter()
                .map(|s| self.step_val(s))
                .collect::<Result<_, _>>()?,
        );
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
