//! Ctrl-C. The process's SIGINT handler sets the evaluator's interrupt flag, which every call
//! and loop iteration checks — or, while Python code runs for a request, asks Python to raise
//! `KeyboardInterrupt` instead (see `bridge::interrupt`). The REPL's line editor reads Ctrl-C as
//! a key, so at the prompt it only clears the line.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT; consumed by `Vm::check_interrupt`.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_signal: libc::c_int) {
    if !crate::bridge::interrupt::forward_to_python() {
        INTERRUPTED.store(true, Ordering::SeqCst);
    }
}

/// Installs the handler (again, after Python's start-up replaced it).
pub fn install() {
    // SAFETY: a plain sigaction with an async-signal-safe handler (atomics only).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

pub fn take() -> bool {
    INTERRUPTED.swap(false, Ordering::SeqCst)
}

pub fn clear() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}
