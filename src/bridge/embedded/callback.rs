//! Lisp functions as Python callables. A [`LispCallback`] object carries the id of a Lisp
//! function and its session's mailbox; calling it on the owner thread converts the arguments
//! and calls back into the Lisp side through the [`CallbackHost`] of the request that is
//! running (from another thread, see `threads.rs`). Errors cross both ways: a Lisp error becomes a Python `RuntimeError` (with the
//! Lisp message), a Python error inside the callback's own requests becomes a Lisp error there.

use super::threads::Mailbox;
use super::State;
use crate::bridge::backend::{CallbackFailure, CallbackHost};
use crate::bridge::interrupt::IN_PYTHON;
use crate::ids::CallbackId;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::atomic::Ordering;
use std::sync::Arc;

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

/// The attribute that marks a Python exception standing for a Lisp error.
pub(super) const LISP_ERROR_TOKEN: &str = "_polyglot_lisp_error";

/// A Lisp function as a Python callable. Callable from any thread: on the owner thread it
/// calls straight into the Lisp; from another thread the call waits in the session's mailbox.
#[pyclass(name = "LispFunction", module = "polyglot")]
pub struct LispCallback {
    id: u32,
    mailbox: Arc<Mailbox>,
}

impl LispCallback {
    pub(super) fn new(id: u32, state: &State) -> LispCallback {
        LispCallback {
            id,
            mailbox: state.mailbox.clone(),
        }
    }
}

impl Drop for LispCallback {
    fn drop(&mut self) {
        let mut released = self
            .mailbox
            .released
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        released.push(self.id);
        drop(released);
        self.mailbox
            .any_released
            .store(true, std::sync::atomic::Ordering::Release);
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
        if std::thread::current().id() != self.mailbox.owner {
            return self
                .mailbox
                .call_from_other_thread(py, self.id, args, kwargs);
        }
        let state = super::threads::session_of(&self.mailbox).ok_or_else(|| {
            PyRuntimeError::new_err("a Lisp function was called after its session ended")
        })?;
        state.call_lisp(py, self.id, args, kwargs)
    }

    fn __repr__(&self) -> String {
        format!("<Lisp function #{}>", self.id)
    }
}

impl State {
    /// Calls Lisp function `id` through the running request's host (on the owner thread).
    pub(super) fn call_lisp(
        &self,
        py: Python<'_>,
        id: u32,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let host = self.host.get().ok_or_else(|| {
            PyRuntimeError::new_err(
                "a Lisp function was called from Python outside of a Lisp evaluation",
            )
        })?;
        let wargs = args
            .iter()
            .map(|x| self.to_wire(py, x, false))
            .collect::<PyResult<Vec<_>>>()?;
        let mut wkwargs = Vec::new();
        if let Some(kw) = kwargs {
            for (key, v) in kw.iter() {
                wkwargs.push((key.str()?.to_string(), self.to_wire(py, v, false)?));
            }
        }
        let was = IN_PYTHON.load(Ordering::Relaxed);
        IN_PYTHON.store(false, Ordering::Relaxed);
        // SAFETY: see `with_host`; the host outlives the request that is calling us.
        let r = unsafe { (*host).call(CallbackId(id), wargs, wkwargs) };
        IN_PYTHON.store(was, Ordering::Relaxed);
        match r {
            Ok(v) => self.to_py(py, &v, &[]).map(|o| o.unbind()),
            Err(CallbackFailure::Interrupt) => Err(PyKeyboardInterrupt::new_err("interrupted")),
            Err(CallbackFailure::Python(exc)) => {
                // The original exception (class, message, traceback) goes on up through Python.
                Err(PyErr::from_value(self.handle_obj(py, exc)?))
            }
            Err(CallbackFailure::Lisp { message, token }) => {
                let e = PyRuntimeError::new_err(message);
                e.value(py).setattr(LISP_ERROR_TOKEN, token)?;
                Err(e)
            }
        }
    }
}
