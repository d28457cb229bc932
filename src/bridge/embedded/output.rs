//! Capturing Python's `sys.stdout` and `sys.stderr`. `sys` is one per process while sessions
//! (backends) may be several, so once any session captures its output, both streams are
//! replaced by [`SessionOutput`] writers that route every write to the hook of the session
//! whose request is running (or ran last, for writes from Python threads between requests); a
//! session that does not capture gets Python's original streams. Python's output then reaches
//! the same sink as the Lisp's, in program order.

use super::State;
use crate::bridge::backend::{OutputHook, Stream};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// The hook writes go to now, and which session's it is.
static ROUTE: Mutex<Option<OutputHook>> = Mutex::new(None);
/// The owner number of the session `ROUTE` belongs to (0: none yet).
static ROUTED: AtomicU32 = AtomicU32::new(0);

fn route() -> std::sync::MutexGuard<'static, Option<OutputHook>> {
    ROUTE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A text stream whose writes go to the running session's hook, or to Python's original
/// stream when that session does not capture. `Send`: Python threads write to it too.
#[pyclass(name = "SessionOutput", module = "polyglot")]
pub struct SessionOutput {
    stream: Stream,
}

impl SessionOutput {
    fn fallback<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let name = match self.stream {
            Stream::Stdout => "__stdout__",
            Stream::Stderr => "__stderr__",
        };
        py.import("sys")?.getattr(name)
    }
}

#[pymethods]
impl SessionOutput {
    fn write(&self, py: Python<'_>, text: &str) -> PyResult<usize> {
        let hook = route().clone();
        match hook {
            Some(h) => h(self.stream, text),
            None => {
                self.fallback(py)?.call_method1("write", (text,))?;
            }
        }
        Ok(text.chars().count())
    }

    fn writelines(&self, py: Python<'_>, lines: Vec<String>) -> PyResult<()> {
        for l in lines {
            self.write(py, &l)?;
        }
        Ok(())
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        if route().is_none() {
            self.fallback(py)?.call_method0("flush")?;
        }
        Ok(())
    }

    fn isatty(&self) -> bool {
        false
    }

    fn writable(&self) -> bool {
        true
    }

    fn readable(&self) -> bool {
        false
    }

    #[getter]
    fn encoding(&self) -> &'static str {
        "utf-8"
    }

    #[getter]
    fn errors(&self) -> &'static str {
        "strict"
    }
}

impl State {
    /// Sets this session's hook (`None`: its Python output goes to the process's streams),
    /// installing the routing writers the first time any session captures.
    pub(super) fn capture_output(&self, py: Python<'_>, hook: Option<OutputHook>) -> PyResult<()> {
        let capturing = hook.is_some();
        *self.output.borrow_mut() = hook;
        if capturing {
            let sys = py.import("sys")?;
            if !sys.getattr("stdout")?.is_instance_of::<SessionOutput>() {
                let out = SessionOutput {
                    stream: Stream::Stdout,
                };
                let err = SessionOutput {
                    stream: Stream::Stderr,
                };
                sys.setattr("stdout", Bound::new(py, out)?)?;
                sys.setattr("stderr", Bound::new(py, err)?)?;
            }
        }
        self.stdout_baseline.set(super::current_stdout());
        ROUTED.store(0, Ordering::Relaxed);
        self.route_output();
        Ok(())
    }

    /// Makes this session's hook the one Python's writes go to (at the start of its requests;
    /// cheap when it already is).
    pub(super) fn route_output(&self) {
        if ROUTED.load(Ordering::Relaxed) == self.owner.backend {
            return;
        }
        *route() = self.output.borrow().clone();
        ROUTED.store(self.owner.backend, Ordering::Relaxed);
    }
}
