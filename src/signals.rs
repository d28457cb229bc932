//! The process's SIGINT handler (Unix, feature `signals`): while a request runs inside Python
//! it makes Python raise `KeyboardInterrupt` (through the bridge's hook), otherwise it sets the
//! evaluator's interrupt flag. Installed by the CLI at start, and again after CPython's
//! start-up has replaced it.
//!
//! Two more rules keep Ctrl-C working whatever the program does:
//!
//! - **A Python handler does not take Ctrl-C away from the Lisp.** `signal.signal(SIGINT, f)` in
//!   user code installs CPython's own C handler in place of this one; a watcher thread puts
//!   this one back within [`WATCH_INTERVAL`]. Python's handler `f` still runs for a Ctrl-C that
//!   arrives while Python code runs (the bridge's hook simulates the signal for Python, which
//!   calls whatever Python handler is set), and a Lisp loop is still interrupted.

use std::time::Duration;

/// How often the watcher checks that this handler is still the one installed.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(100);

extern "C" fn on_sigint(_signal: libc::c_int) {
    if !crate::bridge::interrupt::forward_to_python() {
        crate::runtime::interrupt::request();
    }
}

fn handler_address() -> usize {
    on_sigint as extern "C" fn(libc::c_int) as usize
}

/// Installs the handler (again, after Python's start-up replaced it), and starts the watcher
/// that re-installs it if user code replaces it.
pub fn install() {
    // SAFETY: a plain sigaction with an async-signal-safe handler (atomics only).
    unsafe { set_handler() };
    static WATCHER: std::sync::Once = std::sync::Once::new();
    WATCHER.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("sigint-watch".into())
            .spawn(|| loop {
                std::thread::sleep(WATCH_INTERVAL);
                // SAFETY: reading the current action, and installing ours, are plain
                // process-wide sigaction calls.
                unsafe {
                    let mut current: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) == 0
                        && current.sa_sigaction != handler_address()
                        && current.sa_sigaction != libc::SIG_IGN
                    {
                        set_handler();
                    }
                }
            });
    });
}

unsafe fn set_handler() {
    let mut action: libc::sigaction = std::mem::zeroed();
    action.sa_sigaction = handler_address();
    action.sa_flags = libc::SA_RESTART;
    libc::sigemptyset(&mut action.sa_mask);
    libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
}
