//! Typed arrays and NumPy, zero copy both ways.
//!
//! Lisp → Python: the array's memory is exposed through the buffer protocol by a small
//! [`LispMemory`] object that holds an `Rc` of the buffer; `numpy.frombuffer` views it (and
//! `reshape` gives `as-nd` its shape), so NumPy and the Lisp share one allocation that lives
//! while either side holds it. Python → Lisp (`->lisp`): a C-contiguous ndarray of a numeric
//! dtype is viewed in place and kept alive by a handle; other layouts are copied first.

use super::State;
use crate::bridge::handles::ReleaseQueue;
use crate::bridge::ir::ArrayRef;
use crate::buffer::{DType, SharedBuffer};
use crate::ids::HandleId;
use numpy::npyffi::flags::NPY_ARRAY_WRITEABLE;
use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::os::raw::{c_int, c_void};
use std::rc::Rc;

/// A Python object whose buffer is a Lisp typed array's memory (bytes, format "B").
#[pyclass(unsendable, name = "LispArrayMemory", module = "polyglot")]
pub struct LispMemory {
    buf: Rc<SharedBuffer>,
}

impl Drop for LispMemory {
    fn drop(&mut self) {
        self.buf
            .exports
            .set(self.buf.exports.get().saturating_sub(1));
    }
}

#[pymethods]
impl LispMemory {
    /// # Safety
    /// Called by CPython with a valid `view`; the memory stays valid while `view.obj` (this
    /// object, which holds the buffer's `Rc`) is alive.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("view is null"));
        }
        let (ptr, len, readonly) = {
            let me = slf.borrow();
            (me.buf.as_ptr(), me.buf.byte_len(), me.buf.readonly())
        };
        if readonly && (flags & ffi::PyBUF_WRITABLE) == ffi::PyBUF_WRITABLE {
            return Err(PyBufferError::new_err("this array's memory is read-only"));
        }
        // SAFETY: `view` is non-null and owned by the caller for the duration of the export.
        unsafe {
            (*view).obj = slf.into_any().into_ptr();
            (*view).buf = ptr as *mut c_void;
            (*view).len = len as isize;
            (*view).readonly = c_int::from(readonly);
            (*view).itemsize = 1;
            (*view).format = if (flags & ffi::PyBUF_FORMAT) == ffi::PyBUF_FORMAT {
                c"B".as_ptr() as *mut _
            } else {
                std::ptr::null_mut()
            };
            (*view).ndim = 1;
            (*view).shape = if (flags & ffi::PyBUF_ND) == ffi::PyBUF_ND {
                &mut (*view).len
            } else {
                std::ptr::null_mut()
            };
            (*view).strides = if (flags & ffi::PyBUF_STRIDES) == ffi::PyBUF_STRIDES {
                &mut (*view).itemsize
            } else {
                std::ptr::null_mut()
            };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = std::ptr::null_mut();
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {}

    fn __repr__(&self) -> String {
        format!(
            "<Lisp {} array memory, {} elements>",
            self.buf.dtype().name(),
            self.buf.len()
        )
    }
}

/// `struct` format characters, for a memoryview when NumPy is absent.
fn struct_format(d: DType) -> &'static str {
    match d {
        DType::F32 => "f",
        DType::F64 => "d",
        DType::I8 => "b",
        DType::I16 => "h",
        DType::I32 => "i",
        DType::I64 => "q",
        DType::U8 => "B",
        DType::U16 => "H",
        DType::U32 => "I",
        DType::U64 => "Q",
    }
}

impl State {
    /// The typed array as an ndarray over its memory (`shape` for `as-nd`, else 1-D).
    pub(super) fn array_to_py<'py>(
        &self,
        py: Python<'py>,
        buf: &Rc<SharedBuffer>,
        shape: Option<&[usize]>,
    ) -> PyResult<Bound<'py, PyAny>> {
        buf.exports.set(buf.exports.get() + 1);
        let mem = Bound::new(py, LispMemory { buf: buf.clone() })?.into_any();
        let shape_obj = match shape {
            Some(s) => PyTuple::new(py, s.iter().copied())?.into_any(),
            None => py.None().into_bound(py),
        };
        if py.import("numpy").is_ok() {
            return self
                .helper(py, "as_nd")?
                .call1((mem, buf.dtype().name(), shape_obj));
        }
        let mv = py
            .import("builtins")?
            .getattr("memoryview")?
            .call1((mem,))?;
        let fmt = struct_format(buf.dtype());
        match shape {
            Some(s) => mv.call_method1("cast", (fmt, PyTuple::new(py, s.iter().copied())?)),
            None => mv.call_method1("cast", (fmt,)),
        }
    }

    /// A typed array a request names: memory the Lisp side lent for it, or a buffer an
    /// earlier result returned.
    pub(super) fn array_ref_to_py<'py>(
        &self,
        py: Python<'py>,
        r: &ArrayRef,
    ) -> PyResult<Bound<'py, PyAny>> {
        let lent = self.lent.borrow().get(&r.buffer).cloned();
        let buf = lent
            .or_else(|| self.returned.borrow().get(&r.buffer).cloned())
            .ok_or_else(|| PyBufferError::new_err("internal: a request named an unknown buffer"))?;
        self.array_to_py(py, &buf, r.shape.as_deref())
    }

    /// An ndarray as a typed array sharing its memory, if it is one of a numeric dtype; the
    /// buffer waits in `returned` until the Lisp side claims it.
    pub(super) fn ndarray_to_wire(
        &self,
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
    ) -> PyResult<Option<ArrayRef>> {
        let Some(buf) = self.ndarray_to_buffer(py, obj)? else {
            return Ok(None);
        };
        let r = ArrayRef {
            buffer: buf.id(),
            dtype: buf.dtype(),
            len: buf.len(),
            shape: None,
        };
        self.returned.borrow_mut().insert(buf.id(), buf);
        Ok(Some(r))
    }

    /// An ndarray as a typed array sharing its memory, if it is one of a numeric dtype.
    fn ndarray_to_buffer(
        &self,
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Rc<SharedBuffer>>> {
        let loaded = py
            .import("sys")?
            .getattr("modules")?
            .cast_into::<PyDict>()
            .map(|m| m.contains("numpy").unwrap_or(false))
            .unwrap_or(false);
        if !loaded {
            return Ok(None);
        }
        let Ok(arr) = obj.cast::<PyUntypedArray>() else {
            return Ok(None);
        };
        let descr = arr.dtype();
        let kind = descr.kind();
        if kind == b'b' {
            // bool: copied into a uint8 array (0 and 1), so Lisp writes cannot corrupt NumPy bools.
            let copy = arr.call_method1("astype", ("uint8",))?;
            return self.ndarray_to_buffer(py, &copy);
        }
        let Some(dtype) = DType::from_kind(kind, descr.itemsize()) else {
            // complex, object, strings, datetimes...: stay handles.
            return Ok(None);
        };
        let native = descr.is_native_byteorder().unwrap_or(true);
        if !arr.is_c_contiguous() || !native {
            let np = py.import("numpy")?;
            let copy = np.call_method1("ascontiguousarray", (arr, dtype.name()))?;
            return self.ndarray_to_buffer(py, &copy);
        }
        let n: usize = arr.shape().iter().product();
        // SAFETY: `arr` is a live ndarray; its data pointer and flags are read under the GIL.
        let (data, writeable) = unsafe {
            let raw = arr.as_array_ptr();
            (
                (*raw).fields.data as *mut u8,
                ((*raw).fields.flags & NPY_ARRAY_WRITEABLE) != 0,
            )
        };
        let keep = KeepAlive {
            handle: self.new_handle(obj.clone()),
            queue: self.queue.clone(),
        };
        // SAFETY: the handle keeps the ndarray (and so `data`, n elements of dtype, C order)
        // alive until the buffer drops the token, which queues the handle's release.
        let buf = unsafe { SharedBuffer::borrowed(data, n, dtype, !writeable, Box::new(keep)) };
        Ok(Some(Rc::new(buf)))
    }
}

/// Keeps an ndarray alive while a Lisp typed array views its memory.
struct KeepAlive {
    handle: HandleId,
    queue: ReleaseQueue,
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.queue.push(self.handle);
    }
}
