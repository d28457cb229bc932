//! Python semantics at the seams, executed: the operator, comparison, item and collection
//! steps of the chain IR (`a + b`, `a < b < c`, `a[k] = v`, `len(a)`, `k in d`, and the
//! copying `assoc`/`dissoc`/`conj`).

use super::State;
use crate::bridge::ir::{BinaryOp, Comparison, Step, UnaryOp, WireValue};
use pyo3::basic::CompareOp;
use pyo3::prelude::*;

/// Python helpers for the copying collection steps, standard library only.
pub(super) const HELPERS: &str = r#"
import copy as _copy
def lisp_assoc(obj, pairs):
    new = _copy.copy(obj)
    for k, v in pairs:
        if isinstance(new, list) and isinstance(k, int) and k == len(new):
            new.append(v)
        else:
            new[k] = v
    return new
def lisp_dissoc(obj, keys):
    new = _copy.copy(obj)
    for k in keys:
        try:
            del new[k]
        except (KeyError, IndexError):
            pass
    return new
def is_iterator(x):
    try:
        return iter(x) is x
    except TypeError:
        return False
def _truth(r):
    return r is not None and r is not False
def _partition(n, it):
    import itertools
    it = iter(it)
    while True:
        chunk = list(itertools.islice(it, n))
        if len(chunk) < n:
            return
        yield chunk
def lisp_lazy(op, args):
    import itertools
    if op == 'map':
        return map(args[0], *args[1:])
    if op == 'mapcat':
        return itertools.chain.from_iterable(map(args[0], *args[1:]))
    f, it = args
    if op == 'filter':
        return (x for x in it if _truth(f(x)))
    if op == 'remove':
        return (x for x in it if not _truth(f(x)))
    if op == 'keep':
        return (y for y in map(f, it) if y is not None)
    if op == 'take_while':
        return itertools.takewhile(lambda x: _truth(f(x)), it)
    if op == 'drop_while':
        return itertools.dropwhile(lambda x: _truth(f(x)), it)
    if op == 'partition':
        return _partition(f, it)
    if op == 'drop':
        return itertools.islice(it, f, None)
    raise ValueError(op)
def lisp_conj(obj, items):
    if isinstance(obj, tuple):
        return obj + tuple(items)
    new = _copy.copy(obj)
    for x in items:
        if isinstance(new, list):
            new.append(x)
        elif isinstance(new, (set, frozenset)) or hasattr(new, 'add'):
            new.add(x)
        elif hasattr(new, 'keys'):
            k, v = x
            new[k] = v
        else:
            raise TypeError(f"conj: cannot add items to a {type(obj).__name__}")
    return new
"#;

fn binary<'py>(
    op: BinaryOp,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    match op {
        BinaryOp::Add => a.add(b),
        BinaryOp::Sub => a.sub(b),
        BinaryOp::Mul => a.mul(b),
        BinaryOp::TrueDiv => a.div(b),
        BinaryOp::FloorDiv => a.floor_div(b),
        BinaryOp::Mod => a.rem(b),
        BinaryOp::Pow => a.pow(b, a.py().None()),
        BinaryOp::MatMul => a.matmul(b),
        BinaryOp::BitAnd => a.bitand(b),
        BinaryOp::BitOr => a.bitor(b),
        BinaryOp::BitXor => a.bitxor(b),
        BinaryOp::LShift => a.lshift(b),
        BinaryOp::RShift => a.rshift(b),
    }
}

fn compare<'py>(
    op: Comparison,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = a.py();
    let rich = |o| a.rich_compare(b, o);
    match op {
        Comparison::Eq => rich(CompareOp::Eq),
        Comparison::Ne => rich(CompareOp::Ne),
        Comparison::Lt => rich(CompareOp::Lt),
        Comparison::Le => rich(CompareOp::Le),
        Comparison::Gt => rich(CompareOp::Gt),
        Comparison::Ge => rich(CompareOp::Ge),
        Comparison::Is => Ok(pyo3::types::PyBool::new(py, a.is(b)).to_owned().into_any()),
    }
}

impl State {
    /// The operator, item and collection steps (`State::step` runs the rest).
    pub(super) fn semantic_step<'py>(
        &self,
        py: Python<'py>,
        step: &Step,
        done: &[Bound<'py, PyAny>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let val = |w: &WireValue| self.to_py(py, w, done);
        Ok(match step {
            Step::Builtin(name) => py.import("builtins")?.getattr(name.as_str())?,
            Step::MakeException(name, message) => self
                .helper(py, "make_exception")?
                .call1((name.as_str(), message.as_str()))?,
            Step::Throwable(x) => self.helper(py, "throwable")?.call1((val(x)?,))?,
            Step::IsIterator(x) => self.helper(py, "is_iterator")?.call1((val(x)?,))?,
            Step::LazySeq(op, args) => {
                let args = args.iter().map(val).collect::<PyResult<Vec<_>>>()?;
                self.helper(py, "lisp_lazy")?.call1((op.name(), args))?
            }
            Step::Binary(op, a, b) => binary(*op, &val(a)?, &val(b)?)?,
            Step::Compare(op, operands) => {
                let objs = operands.iter().map(val).collect::<PyResult<Vec<_>>>()?;
                let mut result = pyo3::types::PyBool::new(py, true).to_owned().into_any();
                let pairs = objs.len().saturating_sub(1);
                for (i, pair) in objs.windows(2).enumerate() {
                    result = compare(*op, &pair[0], &pair[1])?;
                    // Python asks the truth of a result only when another comparison follows.
                    if i + 1 < pairs && !result.is_truthy()? {
                        break;
                    }
                }
                result
            }
            Step::Unary(op, a) => {
                let a = val(a)?;
                match op {
                    UnaryOp::Neg => a.neg()?,
                    UnaryOp::Invert => a.bitnot()?,
                    UnaryOp::Truthy => pyo3::types::PyBool::new(py, a.is_truthy()?)
                        .to_owned()
                        .into_any(),
                }
            }
            Step::SetItem(t, k, v) => {
                let v = val(v)?;
                val(t)?.set_item(val(k)?, &v)?;
                v
            }
            Step::DelItem(t, k) => {
                val(t)?.del_item(val(k)?)?;
                py.None().into_bound(py)
            }
            Step::DelAttr(t, name) => {
                let obj = val(t)?;
                obj.delattr(name.as_str())?;
                self.invalidate(Some(&obj));
                py.None().into_bound(py)
            }
            Step::Len(t) => val(t)?.len()?.into_pyobject(py)?.into_any(),
            Step::Contains(c, x) => {
                let found = val(c)?.contains(val(x)?)?;
                pyo3::types::PyBool::new(py, found).to_owned().into_any()
            }
            Step::Assoc(t, pairs) => {
                let pairs = pairs
                    .iter()
                    .map(|(k, v)| Ok((val(k)?, val(v)?)))
                    .collect::<PyResult<Vec<_>>>()?;
                self.helper(py, "lisp_assoc")?.call1((val(t)?, pairs))?
            }
            Step::Dissoc(t, keys) => {
                let keys = keys.iter().map(val).collect::<PyResult<Vec<_>>>()?;
                self.helper(py, "lisp_dissoc")?.call1((val(t)?, keys))?
            }
            Step::Conj(t, items) => {
                let items = items.iter().map(val).collect::<PyResult<Vec<_>>>()?;
                self.helper(py, "lisp_conj")?.call1((val(t)?, items))?
            }
            other => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "internal: step {other:?} reached the wrong executor"
                )))
            }
        })
    }
}
