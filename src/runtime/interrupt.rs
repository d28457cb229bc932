//! Ctrl-C, as the evaluator sees it: a flag that every call and loop iteration checks. Whoever
//! receives the interrupt sets it — the process's SIGINT handler (`signals`, a front-end
//! feature), a kernel's interrupt request, a page's interrupt button. The REPL's line editor
//! reads Ctrl-C as a key, so at the prompt it only clears the line.
//!
//! In a browser nothing can set the flag while the Lisp runs (the Web Worker's one thread is
//! busy running it): there the embedder registers a poll ([`set_poll`]) that reads the page's
//! interrupt buffer, and the checks ask it every [`POLL_EVERY`]th time.

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

/// Whether an interrupt waits (cheap: an atomic load; in a browser, now and then a poll).
#[inline]
pub fn pending() -> bool {
    if INTERRUPTED.load(Ordering::Relaxed) {
        return true;
    }
    #[cfg(target_arch = "wasm32")]
    {
        poll::due()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}

/// How many checks pass between two polls of the embedder (a poll is a call out of wasm).
#[cfg(target_arch = "wasm32")]
pub const POLL_EVERY: u32 = 1024;

/// Registers the embedder's poll: it returns true (once) when an interrupt was asked for.
#[cfg(target_arch = "wasm32")]
pub fn set_poll(f: fn() -> bool) {
    let _ = poll::HOOK.set(f);
}

#[cfg(target_arch = "wasm32")]
mod poll {
    use super::*;
    use std::sync::atomic::AtomicU32;

    pub(super) static HOOK: std::sync::OnceLock<fn() -> bool> = std::sync::OnceLock::new();
    static COUNT: AtomicU32 = AtomicU32::new(0);

    pub(super) fn due() -> bool {
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        if !n.is_multiple_of(POLL_EVERY) {
            return false;
        }
        match HOOK.get() {
            Some(f) if f() => {
                request();
                true
            }
            _ => false,
        }
    }
}
