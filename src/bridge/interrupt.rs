//! Ctrl-C routing between the Lisp and Python. The process's SIGINT handler (in the runtime)
//! asks [`in_python`]: while a request runs inside Python it calls the backend's hook (which
//! makes Python raise `KeyboardInterrupt` at its next check); otherwise it sets the Lisp
//! evaluator's own flag. Everything here is async-signal-safe: atomics only.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// True while Python code runs for a request (false again inside Lisp callbacks). Written and
/// read on the owner thread only (the signal handler runs there too), so relaxed ordering is
/// enough: a signal handler sees its own thread's stores in program order.
pub static IN_PYTHON: AtomicBool = AtomicBool::new(false);

/// `extern "C" fn()` to call from the signal handler while in Python; 0 when none.
static PY_HOOK: AtomicUsize = AtomicUsize::new(0);

pub fn set_python_hook(hook: extern "C" fn()) {
    PY_HOOK.store(hook as usize, Ordering::SeqCst);
}

/// Called from the signal handler. Returns true if Python took the interrupt.
pub fn forward_to_python() -> bool {
    if !IN_PYTHON.load(Ordering::Relaxed) {
        return false;
    }
    let hook = PY_HOOK.load(Ordering::SeqCst);
    if hook == 0 {
        return false;
    }
    // SAFETY: the value was stored from an `extern "C" fn()` by `set_python_hook`.
    let f: extern "C" fn() = unsafe { std::mem::transmute::<usize, extern "C" fn()>(hook) };
    f();
    true
}
