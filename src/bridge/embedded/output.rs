//! Capturing Python's `sys.stdout` and `sys.stderr`: while a hook is installed, both are
//! replaced by [`HookWriter`] objects that hand every write to the hook (a notebook's stream
//! messages, a test's recorder), so Python's output reaches the same sink as the Lisp's, in
//! program order. Without a hook Python writes to the process's own streams.

use super::State;
use crate::bridge::backend::{OutputHook, Stream};
use pyo3::prelude::*;

/// A text stream whose writes go to an [`OutputHook`]. Python threads may write to it too, so
/// it is `Send` (the hook is).
#[pyclass(name = "LispOutput", module = "polyglot")]
pub struct HookWriter {
    hook: OutputHook,
    stream: Stream,
}

#[pymethods]
impl HookWriter {
    fn write(&self, text: &str) -> usize {
        (self.hook)(self.stream, text);
        text.chars().count()
    }

    fn writelines(&self, lines: Vec<String>) {
        for l in lines {
            (self.hook)(self.stream, &l);
        }
    }

    fn flush(&self) {}

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
    /// Installs (or with `None` removes) the writers on `sys.stdout` and `sys.stderr`.
    pub(super) fn capture_output(&self, py: Python<'_>, hook: Option<OutputHook>) -> PyResult<()> {
        let sys = py.import("sys")?;
        let mut saved = self.saved_streams.borrow_mut();
        match hook {
            Some(hook) => {
                if saved.is_none() {
                    *saved = Some((
                        sys.getattr("stdout")?.unbind(),
                        sys.getattr("stderr")?.unbind(),
                    ));
                }
                let out = HookWriter {
                    hook: hook.clone(),
                    stream: Stream::Stdout,
                };
                let err = HookWriter {
                    hook,
                    stream: Stream::Stderr,
                };
                sys.setattr("stdout", Bound::new(py, out)?)?;
                sys.setattr("stderr", Bound::new(py, err)?)?;
            }
            None => {
                if let Some((out, err)) = saved.take() {
                    sys.setattr("stdout", out)?;
                    sys.setattr("stderr", err)?;
                }
            }
        }
        Ok(())
    }
}
