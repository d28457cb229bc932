//! The process's SIGINT handler (Unix, feature `signals`): while a request runs inside Python
//! it makes Python raise `KeyboardInterrupt` (through the bridge's hook), otherwise it sets the
//! evaluator's interrupt flag. Installed by the CLI at start, and again after CPython's
//! start-up has replaced it.

extern "C" fn on_sigint(_signal: libc::c_int) {
    if !crate::bridge::interrupt::forward_to_python() {
        crate::runtime::interrupt::request();
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
