//! Lisp functions as Python callables. A [`LispCallback`] object carries the id of a Lisp
//! function and a weak reference to the backend state that made it; calling it converts the
//! arguments and calls back into the Lisp side through the [`CallbackHost`] of the request that
//! is running. Errors cross both ways: a Lisp error becomes a Python `RuntimeError` (with the
//! Lisp message), a Python error inside the callback's own requests becomes a Lisp error there.

use super::State;
use crate::bridge::backend::{CallbackFailure, CallbackHost};
use crate::bridge::interrupt::IN_PYTHON;
use crate::ids::CallbackId;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::rc::{Rc, Weak};
use std::sync::atomic::Ordering;

/// The host of the innermost running request of one backend; `None` outside requests.
pub(super) type HostSlot = std::cell::Cell<Option<*mut (dyn CallbackHost + 'static)>>;

/// Restores the previous host when a request ends, also when it unwinds.
struct HostGuard<'a> {
    slot: &'a HostSlot,
    prev: Option<*mut (dyn CallbackHost + 'static)>,
}

impl Drop for HostGuard<'_> {
    fn drop(&mut self) {
        self.slot.set(self.prev);
    }
}

impl State {
    /// Runs `f` with `host` reachable from callbacks; restores the previous one after.
    pub(super) fn with_host<R>(&self, host: &mut dyn CallbackHost, f: impl FnOnce() -> R) -> R {
        let ptr: *mut (dyn CallbackHost + '_) = host;
        // SAFETY: the pointer is only dereferenced while `f` runs (the guard takes it out of the
        // slot when `f` returns or unwinds), and `host` is exclusively borrowed by this function
        // for that whole time; the lifetime is erased for the slot only.
        let ptr: *mut (dyn CallbackHost + 'static) = unsafe { std::mem::transmute(ptr) };
        let _guard = HostGuard {
            slot: &self.host,
            prev: self.host.replace(Some(ptr)),
        };
        f()
    }
}

#[pyclass(unsendable, name = "LispFunction", module = "polyglot")]
pub struct LispCallback {
    id: u32,
    state: Weak<State>,
}

impl LispCallback {
    pub(super) fn new(id: u32, state: &State) -> LispCallback {
        LispCallback {
            id,
            state: state.me.clone(),
        }
    }
}

impl Drop for LispCallback {
    fn drop(&mut self) {
        if let Some(s) = self.state.upgrade() {
            s.released_callbacks.borrow_mut().push(self.id);
        }
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
        let outside = || {
            PyRuntimeError::new_err(
                "a Lisp function was called from Python outside of a Lisp evaluation",
            )
        };
        let s: Rc<State> = self.state.upgrade().ok_or_else(outside)?;
        let host = s.host.get().ok_or_else(outside)?;
        let wargs = args
            .iter()
            .map(|x| s.to_wire(py, x, false))
            .collect::<PyResult<Vec<_>>>()?;
        let mut wkwargs = Vec::new();
        if let Some(kw) = kwargs {
            for (key, v) in kw.iter() {
                wkwargs.push((key.str()?.to_string(), s.to_wire(py, v, false)?));
            }
        }
        let was = IN_PYTHON.load(Ordering::Relaxed);
        IN_PYTHON.store(false, Ordering::Relaxed);
        // SAFETY: see `with_host`; the host outlives the request that is calling us.
        let r = unsafe { (*host).call(CallbackId(self.id), wargs, wkwargs) };
        IN_PYTHON.store(was, Ordering::Relaxed);
        match r {
            Ok(v) => s.to_py(py, &v, &[]).map(|o| o.unbind()),
            Err(CallbackFailure::Interrupt) => Err(PyKeyboardInterrupt::new_err("interrupted")),
            Err(CallbackFailure::Python(exc)) => {
                // The original exception (class, message, traceback) goes on up through Python.
                Err(PyErr::from_value(s.handle_obj(py, exc)?))
            }
            Err(CallbackFailure::Lisp(msg)) => Err(PyRuntimeError::new_err(msg)),
        }
    }

    fn __repr__(&self) -> String {
        format!("<Lisp function #{}>", self.id)
    }
}
