//! `polyglot kernel`: a Jupyter kernel (messaging protocol 5.5) for notebooks, on the same
//! [`Engine`] and evaluation path as the REPL.
//!
//! - [`wire`]: connection file, message frames, HMAC-SHA256 signatures, headers.
//! - [`sockets`]: heartbeat, shell, control, stdin and iopub (XPUB) on background threads;
//!   control (interrupt, shutdown) is answered there while a cell runs.
//! - [`session`]: the main thread — the engine answers shell requests in order.
//! - [`output`]: the output sink: streams batched and capped, rich displays.
//! - [`install`]: the kernelspec.
//!
//! Ctrl-C: the engine and CPython stay on the main thread, where SIGINT must land (CPython runs
//! signal handlers there, and only there does `time.sleep` return early). Every thread the kernel
//! starts blocks SIGINT, so the front-end's signal (`interrupt_mode: signal`) reaches the main
//! thread, and an `interrupt_request` is a SIGINT sent to it.

pub mod install;
pub mod output;
pub mod session;
pub mod sockets;
pub mod wire;

use crate::engine::{Engine, EngineConfig};
use serde_json::{json, Value as Json};
use std::path::Path;
use std::sync::Arc;

/// The `kernel_info_reply` content.
pub fn kernel_info() -> Json {
    let version = env!("CARGO_PKG_VERSION");
    json!({
        "status": "ok",
        "protocol_version": wire::PROTOCOL_VERSION,
        "implementation": "polyglot",
        "implementation_version": version,
        "language_info": {
            "name": "polyglot",
            "version": version,
            "mimetype": "text/x-polyglot",
            "file_extension": ".lisp",
            // polyglot's syntax is closest to Clojure's: notebooks highlight it as such.
            "codemirror_mode": "clojure",
            "pygments_lexer": "clojure",
        },
        "banner": format!("polyglot {version}: a Lisp for Python"),
        "help_links": [
            {"text": "polyglot book", "url": "https://github.com/polyglot-lisp/polyglot/tree/main/book"},
            {"text": "Python", "url": "https://docs.python.org/3/"},
        ],
        "debugger": false,
    })
}

/// Blocks SIGINT in this thread (and the threads it starts) until dropped.
struct SigintBlocked {
    old: libc::sigset_t,
}

impl SigintBlocked {
    fn new() -> SigintBlocked {
        // SAFETY: plain signal-mask calls on this thread with valid sets.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            SigintBlocked { old }
        }
    }
}

impl Drop for SigintBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by `new`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

/// Runs the kernel until the front-end shuts it down; the exit status.
pub fn run(connection_file: &Path, config: EngineConfig) -> i32 {
    let text = match std::fs::read_to_string(connection_file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "polyglot kernel: cannot read {}: {e}",
                connection_file.display()
            );
            return 1;
        }
    };
    let info = match wire::ConnectionInfo::parse(&text) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("polyglot kernel: {}: {e}", connection_file.display());
            return 1;
        }
    };
    if std::env::var_os("MPLBACKEND").is_none() {
        // Before Python starts: figures render off-screen and are shown after each cell.
        std::env::set_var("MPLBACKEND", "agg");
    }
    let blocked = SigintBlocked::new();
    crate::signals::install();
    // SAFETY: pthread_self has no preconditions.
    let main_thread = unsafe { libc::pthread_self() };
    let control = sockets::Control {
        kernel_info: kernel_info(),
        interrupt: Box::new(move || {
            // SAFETY: the main thread lives as long as the process.
            unsafe {
                libc::pthread_kill(main_thread, libc::SIGINT);
            }
        }),
    };
    let wires = match sockets::start(&info, wire::Signer::new(&info.key), control) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("polyglot kernel: {e}");
            return 1;
        }
    };
    let mut engine = match Engine::new(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("polyglot kernel: {}", e.message);
            return 1;
        }
    };
    engine.on_python_start(Box::new(crate::signals::install));
    let mut kernel = session::Kernel::new(engine, wires, kernel_info());
    let output = Arc::downgrade(&kernel.output());
    let _ = std::thread::Builder::new()
        .name("kernel-flush".into())
        .spawn(move || loop {
            std::thread::sleep(output::FLUSH_INTERVAL / 2);
            match output.upgrade() {
                Some(o) => o.flush_if_due(),
                None => return,
            }
        });
    drop(blocked);
    kernel.run();
    kernel.finish()
}
