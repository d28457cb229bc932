//! Lisp functions as Python callables. A [`LispCallback`] object carries the id of a Lisp
//! function; calling it converts the arguments and calls back into the Lisp side through the
//! [`CallbackHost`] of the request that is running. Errors cross both ways: a Lisp error becomes
//! a Python `RuntimeError` (with the Lisp message), a Python error inside the callback's own
//! requests becomes a Lisp error there.

use super::with_state;
use crate::bridge::interrupt::IN_PYTHON;
use crate::bridge::ir::{CallbackFailure, CallbackHost, CallbackId};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::cell::Cell;
use std::sync::atomic::Ordering;

thread_local! {
    /// The host of the innermost running request; null outside requests.
    static HOST: Cell<Option<*mut (dyn CallbackHost + 'static)>> = const { Cell::new(None) };
    /// Callbacks whose Python objects were freed, for the host to drop.
    pub(super) static RELEASED: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with `host` reachable from callbacks; restores the previous one after.
pub(super) fn with_host<R>(host: &mut dyn CallbackHost, f: impl FnOnce() -> R) -> R {
    // SAFETY: the pointer is only dereferenced while `f` runs, during which `host` is
    // exclusively borrowed by this function; the lifetime is erased for the thread-local only.
    let ptr: *mut (dyn CallbackHost + '_) = host;
    let ptr: *mut (dyn CallbackHost + 'static) = unsafe { std::mem::transmute(ptr) };
    let prev = HOST.with(|h| h.replace(Some(ptr)));
    let r = f();
    HOST.with(|h| h.set(prev));
    r
}

#[pyclass(unsendable, name = "LispFunction", module = "polyglot")]
pub struct LispCallback {
    pub id: u32,
}

impl Drop for LispCallback {
    fn drop(&mut self) {
        let _ = RELEASED.try_with(|r| r.borrow_mut().push(self.id));
    }
}

#[pymethods]
impl LispCallback {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let Some(host) = HOST.with(|h| h.get()) else {
            return Err(PyRuntimeError::new_err(
                "a Lisp function was called from Python outside of a Lisp evaluation",
            ));
        };
        let (wargs, wkwargs) = with_state(|s| -> PyResult<_> {
            let a = args
                .iter()
                .map(|x| s.to_wire(py, x, false))
                .collect::<PyResult<Vec<_>>>()?;
            let mut k = Vec::new();
            if let Some(kw) = kwargs {
                for (key, v) in kw.iter() {
                    k.push((key.str()?.to_string(), s.to_wire(py, v, false)?));
                }
            }
            Ok((a, k))
        })?;
        let was = IN_PYTHON.load(Ordering::Relaxed);
        IN_PYTHON.store(false, Ordering::Relaxed);
        // SAFETY: see `with_host`; the host outlives the request that is calling us.
        let r = unsafe { (*host).call(CallbackId(self.id), wargs, wkwargs) };
        IN_PYTHON.store(was, Ordering::Relaxed);
        match r {
            Ok(v) => with_state(|s| s.to_py(py, &v, &[]).map(|o| o.unbind())),
            Err(CallbackFailure::Interrupt) => Err(PyKeyboardInterrupt::new_err("interrupted")),
            Err(CallbackFailure::Python(exc)) => {
                // The original exception (class, message, traceback) goes on up through Python.
                let obj = with_state(|s| s.handle_obj(py, exc))?;
                Err(PyErr::from_value(obj))
            }
            Err(CallbackFailure::Lisp(msg)) => Err(PyRuntimeError::new_err(msg)),
        }
    }

    fn __repr__(&self) -> String {
        format!("<Lisp function #{}>", self.id)
    }
}

pub(super) fn take_released() -> Vec<u32> {
    RELEASED.with(|r| std::mem::take(&mut *r.borrow_mut()))
}
