//! Ctrl-C, as the evaluator sees it: a flag that every call and loop iteration checks. Whoever
//! receives the interrupt sets it — the process's SIGINT handler (`signals`, a front-end
//! feature), a kernel's interrupt request, a page's interrupt button. The REPL's line editor
//! reads Ctrl-C as a key, so at the prompt it only clears the line.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by an interrupt; consumed by `Vm::check_interrupt`.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks the running Lisp code to stop at its next check (async-signal-safe: an atomic store).
pub fn request() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

pub fn take() -> bool {
    INTERRUPTED.swap(false, Ordering::SeqCst)
}

pub fn clear() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}
