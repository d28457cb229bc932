//! Shutting the interpreter down at process exit, as CPython does when it exits itself:
//! `Py_FinalizeEx` runs `atexit` handlers, waits for non-daemon threads, and frees modules, so
//! file objects still referenced are flushed and closed.
//!
//! Order matters. The Lisp side has already dropped its values (their releases wait in the
//! queue); this session's own references — every handle, cached import and attribute, array
//! view — are freed first, attached through pyo3 so each decref happens at once (a `__del__`
//! runs while the interpreter is intact). Then the owner thread's long-lived attachment
//! (`HELD`) is given back, the thread attaches afresh and finalizes. The interpreter is one per
//! process and is not started again: this is for the end of the process only.

use super::EmbeddedBackend;
use crate::bridge::backend::Backend;
use pyo3::ffi;
use pyo3::prelude::*;

/// CPython's exit status when finalization fails (flushing buffered data, for one).
const FINALIZE_FAILED: i32 = 120;

impl EmbeddedBackend {
    /// [`Backend::shutdown`] for the embedded interpreter.
    pub(super) fn finalize(&self) -> Option<i32> {
        // SAFETY: only reads the runtime's initialised flag.
        if unsafe { ffi::Py_IsInitialized() } == 0 {
            return None;
        }
        // Threads still waiting to call into the Lisp get a RuntimeError instead of a hang
        // (finalization joins non-daemon threads).
        self.state.mailbox.close();
        // Give back the GILState taken by the first request (and drain pyo3's deferred pool).
        self.detach();
        let s = &self.state;
        Python::attach(|py| {
            // This session's namespace is `__main__`'s dict, which the state keeps alive. CPython
            // clears the globals of modules still alive late in finalization (after `atexit`):
            // keep `__main__` itself alive, so its globals — a file object a script left open —
            // are cleared and closed then, as in a plain `python3` run. (The reference is
            // never given back; the process is ending.)
            if let Ok(main) = py.import("__main__") {
                let _ = main.into_ptr();
            }
            // Taken out of their cells before dropping: a `__del__` may re-enter the backend.
            let _pending = s.queue.take();
            let objects: Vec<Py<PyAny>> = {
                let mut t = s.handles.borrow_mut();
                t.ids().into_iter().filter_map(|id| t.remove(id)).collect()
            };
            drop(objects);
            let imports = std::mem::take(&mut *s.imports.borrow_mut());
            drop(imports);
            let attrs = std::mem::take(&mut *s.attr_cache.borrow_mut());
            drop(attrs);
            let generic = s.numpy_generic.borrow_mut().take();
            drop(generic);
            let views = std::mem::take(&mut *s.returned.borrow_mut());
            drop(views);
            let lent = std::mem::take(&mut *s.lent.borrow_mut());
            drop(lent);
        });
        // SAFETY: the interpreter is initialised and this thread holds no attachment (detached
        // above, and pyo3's attach has ended). `PyGILState_Ensure` makes this thread's own
        // thread state current — the owner thread's, the one that initialised Python — which is
        // what `Py_FinalizeEx` requires. The state is never released: the interpreter is gone.
        let status = unsafe {
            ffi::PyGILState_Ensure();
            ffi::Py_FinalizeEx()
        };
        (status < 0).then_some(FINALIZE_FAILED)
    }
}
