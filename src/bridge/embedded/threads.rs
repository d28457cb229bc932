//! Lisp callbacks called from other Python threads (`threading.Thread`, `ThreadPoolExecutor`,
//! `run_in_executor`). The Lisp runs on one thread, the session's owner; a call from another
//! thread becomes a [`Job`] in the session's [`Mailbox`] and that thread waits (without the
//! GIL) for the answer. The owner runs queued jobs at the start and end of each of its requests
//! and — since it is usually blocked inside Python meanwhile (`thread.join()`,
//! `executor.map`) — when woken by `SIGUSR2`, whose Python-level handler runs on the main
//! thread even inside a blocking wait. A call that cannot be serviced (the session is
//! finishing, or its owner is not the main thread and is busy in Python) raises
//! `RuntimeError` in the calling thread; it never takes the process down.

use super::State;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

/// One call from another thread, and its answer.
pub(super) struct Job {
    pub id: u32,
    pub args: Py<PyTuple>,
    pub kwargs: Option<Py<PyDict>>,
    answer: Mutex<Option<PyResult<Py<PyAny>>>>,
    done: Condvar,
    /// Set with the answer: the caller spins on it briefly before sleeping (waking an idle
    /// vCPU costs tens of microseconds here).
    answered: AtomicBool,
}

/// Where other threads leave their calls for the owner thread.
pub(super) struct Mailbox {
    pub owner: ThreadId,
    /// The owner is the process's main thread, so a signal can wake it inside Python.
    main_thread: bool,
    #[cfg(unix)]
    owner_pthread: libc::pthread_t,
    jobs: Mutex<VecDeque<Arc<Job>>>,
    queued: AtomicUsize,
    /// Callers waiting for an answer now.
    waiting: AtomicUsize,
    /// Requests the owner is inside now (nested through callbacks).
    pub in_request: AtomicU32,
    /// The session is ending: nothing more is serviced.
    closed: AtomicBool,
    /// Callbacks whose Python objects were freed on any thread, for the host to drop.
    pub released: Mutex<Vec<u32>>,
    /// Set after a push to `released`: every request reads this flag, not the mutex.
    pub any_released: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Mailbox {
    /// A mailbox owned by the calling thread.
    pub fn for_this_thread(main_thread: bool) -> Mailbox {
        Mailbox {
            owner: std::thread::current().id(),
            main_thread,
            // SAFETY: pthread_self has no preconditions.
            #[cfg(unix)]
            owner_pthread: unsafe { libc::pthread_self() },
            jobs: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            in_request: AtomicU32::new(0),
            closed: AtomicBool::new(false),
            released: Mutex::new(Vec::new()),
            any_released: AtomicBool::new(false),
        }
    }

    /// The owner starts a request (only the owner writes the count, so a plain store does: no
    /// locked read-modify-write on the hot path of every call).
    pub fn enter_request(&self) {
        let n = self.in_request.load(Ordering::Relaxed);
        self.in_request.store(n + 1, Ordering::Release);
    }

    pub fn leave_request(&self) {
        let n = self.in_request.load(Ordering::Relaxed);
        self.in_request
            .store(n.saturating_sub(1), Ordering::Release);
    }

    pub fn has_jobs(&self) -> bool {
        self.queued.load(Ordering::Acquire) > 0
    }

    /// Stops servicing: the waiting callers get `RuntimeError` (at shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let jobs: Vec<_> = lock(&self.jobs).drain(..).collect();
        self.queued.store(0, Ordering::Release);
        for job in jobs {
            job.answer_with(Err(PyRuntimeError::new_err(
                "the Lisp session ended before it could run this Lisp function",
            )));
        }
    }

    fn take_job(&self) -> Option<Arc<Job>> {
        let job = lock(&self.jobs).pop_front();
        if job.is_some() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
        job
    }

    /// Called on another thread, holding the GIL: queues the call, wakes the owner, waits.
    pub fn call_from_other_thread(
        &self,
        py: Python<'_>,
        id: u32,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(PyRuntimeError::new_err(
                "a Lisp function was called from another thread after its session ended",
            ));
        }
        let busy_elsewhere = !self.main_thread && self.in_request.load(Ordering::Acquire) > 0;
        if busy_elsewhere {
            return Err(PyRuntimeError::new_err(
                "a Lisp function was called from another thread while its evaluator waits in \
                 Python off the main thread, where it cannot be woken; call it from the \
                 evaluator's thread",
            ));
        }
        let job = Arc::new(Job {
            id,
            args: args.clone().unbind(),
            kwargs: kwargs.map(|k| k.clone().unbind()),
            answer: Mutex::new(None),
            done: Condvar::new(),
            answered: AtomicBool::new(false),
        });
        lock(&self.jobs).push_back(job.clone());
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.wake_owner();
        let answer = py.detach(|| {
            // Spin only as the one caller waiting: several spinning callers would take the
            // cores the evaluator needs to answer them.
            if self.waiting.fetch_add(1, Ordering::AcqRel) == 0 {
                let spin_until = std::time::Instant::now() + Duration::from_micros(200);
                while !job.answered.load(Ordering::Acquire)
                    && std::time::Instant::now() < spin_until
                {
                    std::hint::spin_loop();
                }
            }
            let mut slot = lock(&job.answer);
            loop {
                if let Some(a) = slot.take() {
                    return Some(a);
                }
                if self.closed.load(Ordering::Acquire) {
                    return None;
                }
                let (next, waited) = job
                    .done
                    .wait_timeout(slot, Duration::from_millis(20))
                    .unwrap_or_else(|e| e.into_inner());
                slot = next;
                if waited.timed_out() && slot.is_none() {
                    // A signal that reached the owner just before it blocked is not seen until
                    // the wait ends: ask again.
                    self.wake_owner();
                }
            }
        });
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        answer.unwrap_or_else(|| {
            Err(PyRuntimeError::new_err(
                "the Lisp session ended before it could run this Lisp function",
            ))
        })
    }

    /// Makes the owner run its Python signal handlers (and so the jobs) even while it is
    /// blocked inside Python.
    fn wake_owner(&self) {
        #[cfg(unix)]
        if self.main_thread && self.in_request.load(Ordering::Acquire) > 0 {
            // SAFETY: the owner thread lives as long as the session; SIGUSR2 has Python's
            // handler installed (see `install_wakeup`).
            unsafe {
                libc::pthread_kill(self.owner_pthread, libc::SIGUSR2);
            }
        }
    }
}

impl Job {
    fn answer_with(&self, a: PyResult<Py<PyAny>>) {
        *lock(&self.answer) = Some(a);
        self.answered.store(true, Ordering::Release);
        self.done.notify_all();
    }
}

impl State {
    /// Runs the jobs other threads have queued (on the owner thread, attached, inside a
    /// request so that the Lisp host is reachable).
    pub(super) fn run_jobs(&self, py: Python<'_>) {
        while let Some(job) = self.mailbox.take_job() {
            let args = job.args.bind(py);
            let kwargs = job.kwargs.as_ref().map(|k| k.bind(py));
            let answer = self.call_lisp(py, job.id, args, kwargs);
            job.answer_with(answer);
        }
    }
}

thread_local! {
    /// The sessions owned by this thread, for the SIGUSR2 handler (which has no other way to
    /// find them). The interpreter's attachment is per thread, and so is this.
    static SESSIONS: std::cell::RefCell<Vec<std::rc::Weak<State>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The live session of this thread that owns `mailbox`.
pub(super) fn session_of(mailbox: &Arc<Mailbox>) -> Option<std::rc::Rc<State>> {
    SESSIONS.with(|s| {
        s.borrow()
            .iter()
            .filter_map(|w| w.upgrade())
            .find(|st| Arc::ptr_eq(&st.mailbox, mailbox))
    })
}

pub(super) fn register(state: &std::rc::Rc<State>) {
    SESSIONS.with(|s| s.borrow_mut().push(std::rc::Rc::downgrade(state)));
}

/// The Python-level SIGUSR2 handler: runs the queued jobs of this thread's sessions.
#[pyfunction]
fn run_lisp_jobs(py: Python<'_>, _signal: i32, _frame: &Bound<'_, PyAny>) {
    let sessions: Vec<_> =
        SESSIONS.with(|s| s.borrow().iter().filter_map(|w| w.upgrade()).collect());
    for s in sessions {
        if s.mailbox.has_jobs() && s.mailbox.in_request.load(Ordering::Acquire) > 0 {
            s.run_jobs(py);
        }
    }
}

/// Installs the SIGUSR2 handler, when the owner is the main thread (only there can Python run
/// signal handlers). Returns whether it did.
pub(super) fn install_wakeup(py: Python<'_>) -> bool {
    let is_main = py
        .import("threading")
        .and_then(|t| {
            let current = t.call_method0("current_thread")?;
            let main = t.call_method0("main_thread")?;
            Ok(current.is(&main))
        })
        .unwrap_or(false);
    if !is_main || !cfg!(unix) {
        return false;
    }
    let installed = (|| -> PyResult<()> {
        let handler = wrap_pyfunction!(run_lisp_jobs, py)?;
        let signal = py.import("signal")?;
        let sigusr2 = signal.getattr("SIGUSR2")?;
        signal.call_method1("signal", (sigusr2, handler))?;
        Ok(())
    })();
    installed.is_ok()
}
