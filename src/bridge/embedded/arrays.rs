//! Typed arrays and NumPy (zero copy both ways). Filled in with the typed-array work; until
//! then buffers are refused and ndarrays stay handles.

use super::State;
use crate::bridge::ir::BufferRef;
use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;

impl State {
    pub(super) fn buffer_to_ndarray<'py>(
        &self,
        _py: Python<'py>,
        _b: &BufferRef,
    ) -> PyResult<Bound<'py, PyAny>> {
        Err(PyNotImplementedError::new_err(
            "typed arrays are not available yet",
        ))
    }

    pub(super) fn ndarray_to_buffer(
        &self,
        _py: Python<'_>,
        _obj: &Bound<'_, PyAny>,
    ) -> PyResult<Option<BufferRef>> {
        Ok(None)
    }
}
