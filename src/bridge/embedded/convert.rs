//! Conversions between [`WireValue`]s and Python objects, under the GIL.
//!
//! Python to Lisp: None, bool, int (any size), float, str and NumPy scalars come back by value;
//! everything else becomes a handle. `->lisp` converts deeply (lists and tuples to vectors,
//! dicts to maps). Lisp to Python: the reverse, plus handles, step results and callbacks.

use super::callback::LispCallback;
use super::State;
use crate::bridge::ir::WireValue;
use crate::ids::HandleId;
use pyo3::exceptions::{PyRecursionError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// How deeply nested Python lists, tuples and dicts may be for `->lisp` (and Lisp vectors,
/// lists and maps for the way back): the reader's nesting limit, and Python's default
/// recursion limit.
pub const MAX_CONVERT_DEPTH: usize = 1000;

impl State {
    pub(super) fn handle_obj<'py>(
        &self,
        py: Python<'py>,
        id: HandleId,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.handles.borrow().get(id) {
            Some(obj) => Ok(obj.bind(py).clone()),
            None if id.owner != self.owner => Err(PyRuntimeError::new_err(format!(
                "Python handle h{} belongs to another session",
                id.index
            ))),
            None => Err(PyRuntimeError::new_err(format!(
                "stale Python handle h{} (it was released)",
                id.index
            ))),
        }
    }

    pub(super) fn new_handle(&self, obj: Bound<'_, PyAny>) -> HandleId {
        self.handles.borrow_mut().insert(obj.unbind())
    }

    /// A Lisp value as a Python object. `steps` are the results of the request so far.
    /// Collections nested deeper than [`MAX_CONVERT_DEPTH`] are refused with `RecursionError`.
    pub(super) fn to_py<'py>(
        &self,
        py: Python<'py>,
        v: &WireValue,
        steps: &[Bound<'py, PyAny>],
    ) -> PyResult<Bound<'py, PyAny>> {
        self.to_py_at(py, v, steps, 0)
    }

    fn to_py_at<'py>(
        &self,
        py: Python<'py>,
        v: &WireValue,
        steps: &[Bound<'py, PyAny>],
        depth: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if matches!(
            v,
            WireValue::List(_) | WireValue::Tuple(_) | WireValue::Dict(_)
        ) {
            if depth >= MAX_CONVERT_DEPTH {
                return Err(PyRecursionError::new_err(format!(
                    "cannot convert Lisp data nested deeper than {MAX_CONVERT_DEPTH} levels \
                     to Python"
                )));
            }
            if depth % 32 == 31 {
                return stacker::maybe_grow(256 * 1024, 2 * 1024 * 1024, || {
                    self.to_py_items(py, v, steps, depth + 1)
                });
            }
            return self.to_py_items(py, v, steps, depth + 1);
        }
        Ok(match v {
            WireValue::None => py.None().into_bound(py),
            WireValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
            WireValue::Int(i) => i.into_pyobject(py)?.into_any(),
            WireValue::BigInt(digits) => {
                let int_type = py.get_type::<PyInt>();
                int_type.call1((digits.as_str(), 16))?
            }
            WireValue::Float(f) => PyFloat::new(py, *f).into_any(),
            WireValue::Str(s) => PyString::new(py, s).into_any(),
            WireValue::List(_) | WireValue::Tuple(_) | WireValue::Dict(_) => unreachable!(),
            WireValue::Handle(id) => self.handle_obj(py, *id)?,
            WireValue::Callback(id) => Bound::new(py, LispCallback::new(id.0, self))?.into_any(),
            WireValue::Step(i) => steps
                .get(*i)
                .cloned()
                .ok_or_else(|| PyValueError::new_err("internal: bad step reference"))?,
            WireValue::Array(r) => self.array_ref_to_py(py, r)?,
            // This backend answers every request at once: it never hands out tickets.
            WireValue::Pending(_) => {
                return Err(PyValueError::new_err(
                    "internal: a pending value reached the embedded backend",
                ))
            }
        })
    }

    /// A list, tuple or dict as Python's, its items at `depth`.
    fn to_py_items<'py>(
        &self,
        py: Python<'py>,
        v: &WireValue,
        steps: &[Bound<'py, PyAny>],
        depth: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match v {
            WireValue::List(items) => {
                let objs = items
                    .iter()
                    .map(|i| self.to_py_at(py, i, steps, depth))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, objs)?.into_any()
            }
            WireValue::Tuple(items) => {
                let objs = items
                    .iter()
                    .map(|i| self.to_py_at(py, i, steps, depth))
                    .collect::<PyResult<Vec<_>>>()?;
                PyTuple::new(py, objs)?.into_any()
            }
            WireValue::Dict(pairs) => {
                let d = PyDict::new(py);
                for (k, v) in pairs {
                    d.set_item(
                        self.to_py_at(py, k, steps, depth)?,
                        self.to_py_at(py, v, steps, depth)?,
                    )?;
                }
                d.into_any()
            }
            _ => unreachable!("to_py_items on a scalar"),
        })
    }

    /// A scalar as a value, if it is one (None, bool, int, float, str, NumPy scalar).
    pub(super) fn scalar(
        &self,
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
    ) -> PyResult<Option<WireValue>> {
        if obj.is_none() {
            return Ok(Some(WireValue::None));
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Some(WireValue::Bool(b.is_true())));
        }
        if obj.is_exact_instance_of::<PyFloat>() {
            return Ok(Some(WireValue::Float(obj.extract::<f64>()?)));
        }
        if obj.is_instance_of::<PyInt>() {
            return Ok(Some(match obj.extract::<i64>() {
                Ok(i) => WireValue::Int(i),
                Err(_) => WireValue::BigInt(
                    obj.call_method1("__format__", ("x",))?
                        .extract::<String>()?,
                ),
            }));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Some(WireValue::Str(s.to_str()?.to_string())));
        }
        if obj.is_instance_of::<PyFloat>() {
            return Ok(Some(WireValue::Float(obj.extract::<f64>()?)));
        }
        if let Some(generic) = self.numpy_generic(py) {
            if obj.is_instance(&generic)? {
                let item = obj.call_method0("item")?;
                // Complex and other non-scalar items stay handles.
                if !item.is(obj) {
                    if let Some(v) = self.scalar(py, &item)? {
                        return Ok(Some(v));
                    }
                }
            }
        }
        Ok(None)
    }

    /// `numpy.generic`, once NumPy has been imported by someone.
    fn numpy_generic<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        if let Some(g) = self.numpy_generic.borrow().as_ref() {
            return Some(g.bind(py).clone());
        }
        let modules = py.import("sys").ok()?.getattr("modules").ok()?;
        let modules = modules.cast_into::<PyDict>().ok()?;
        // `get_item` on a dict answers None without raising (no exception object per call).
        let np = modules.get_item("numpy").ok()??;
        let g = np.getattr("generic").ok()?;
        *self.numpy_generic.borrow_mut() = Some(g.clone().unbind());
        Some(g)
    }

    /// A result as it returns to the Lisp side. Deep conversion refuses cyclic data (a list
    /// that contains itself) with `ValueError` and data nested deeper than
    /// [`MAX_CONVERT_DEPTH`] with `RecursionError`, instead of recursing without end.
    pub(super) fn to_wire(
        &self,
        py: Python<'_>,
        obj: Bound<'_, PyAny>,
        deep: bool,
    ) -> PyResult<WireValue> {
        let mut path = Vec::new();
        self.to_wire_at(py, obj, deep, &mut path)
    }

    /// `path` holds the addresses of the containers being converted, outermost first.
    fn to_wire_at(
        &self,
        py: Python<'_>,
        obj: Bound<'_, PyAny>,
        deep: bool,
        path: &mut Vec<usize>,
    ) -> PyResult<WireValue> {
        if let Some(v) = self.scalar(py, &obj)? {
            return Ok(v);
        }
        if deep {
            let kind = if obj.is_instance_of::<PyList>() {
                Some("list")
            } else if obj.is_instance_of::<PyTuple>() {
                Some("tuple")
            } else if obj.is_instance_of::<PyDict>() {
                Some("dict")
            } else {
                None
            };
            if let Some(kind) = kind {
                let addr = obj.as_ptr() as usize;
                if path.contains(&addr) {
                    return Err(PyValueError::new_err(format!(
                        "cannot convert a cyclic {kind} to Lisp data: it contains itself \
                         (at depth {}); keep it as a Python object (a handle) instead",
                        path.len()
                    )));
                }
                if path.len() >= MAX_CONVERT_DEPTH {
                    return Err(PyRecursionError::new_err(format!(
                        "cannot convert Python data nested deeper than {MAX_CONVERT_DEPTH} \
                         levels to Lisp data; keep it as a Python object (a handle) instead"
                    )));
                }
                path.push(addr);
                let r = if path.len().is_multiple_of(32) {
                    stacker::maybe_grow(256 * 1024, 2 * 1024 * 1024, || {
                        self.container_to_wire(py, &obj, path)
                    })
                } else {
                    self.container_to_wire(py, &obj, path)
                };
                path.pop();
                return r;
            }
            if let Some(r) = self.ndarray_to_wire(py, &obj)? {
                return Ok(WireValue::Array(r));
            }
        }
        Ok(WireValue::Handle(self.new_handle(obj)))
    }

    /// The items of a list, tuple or dict, converted deeply.
    fn container_to_wire(
        &self,
        py: Python<'_>,
        obj: &Bound<'_, PyAny>,
        path: &mut Vec<usize>,
    ) -> PyResult<WireValue> {
        if let Ok(list) = obj.cast::<PyList>() {
            let mut items = Vec::with_capacity(list.len());
            for i in list.iter() {
                items.push(self.to_wire_at(py, i, true, path)?);
            }
            return Ok(WireValue::List(items));
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            let mut items = Vec::with_capacity(t.len());
            for i in t.iter() {
                items.push(self.to_wire_at(py, i, true, path)?);
            }
            return Ok(WireValue::List(items));
        }
        let d = obj.cast::<PyDict>()?;
        let mut pairs = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            pairs.push((
                self.to_wire_at(py, k, true, path)?,
                self.to_wire_at(py, v, true, path)?,
            ));
        }
        Ok(WireValue::Dict(pairs))
    }
}
