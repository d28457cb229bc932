//! Python values as people see them: printing handles and lazy chains, `type-of`, completion
//! of attribute names, the `:handles` listing, tracebacks and class checks for errors.

use super::*;

/// Text for printing a handle: `#<py numpy.ndarray h3 array([0., 0., 0.])>` (readable) or
/// Python's `str(obj)` (display).
pub fn describe(r: &PyRef, readable: bool) -> String {
    let Some(b) = BACKEND.with(|b| b.borrow().clone()) else {
        return format!("#<py h{}>", r.id.index);
    };
    match b.describe(r.id, 80) {
        Some(d) if readable => format!("#<py {} h{} {}>", d.type_name, r.id.index, d.repr),
        Some(d) => d.str,
        None => format!("#<py h{} released>", r.id.index),
    }
}

/// Printing a lazy chain runs it (without Lisp callbacks: printing cannot call back).
pub fn describe_lazy(l: &Lazy, readable: bool) -> String {
    let mut vm = Vm::bare();
    match force(
        &mut vm,
        &Value::PyLazy(Rc::new(Lazy::new(
            match &l.root {
                LazyRoot::Import(n) => LazyRoot::Import(n.clone()),
                LazyRoot::Value(v) => LazyRoot::Value(v.clone()),
            },
            l.path.clone(),
            l.span,
        ))),
    ) {
        Ok(v) => {
            if readable {
                printer::readable(&v)
            } else {
                printer::display(&v)
            }
        }
        Err(e) => format!("#<py error {}: {}>", e.kind.type_name(), e.message),
    }
}

/// Does a Python error's class, or any class it derives from, have this name?
pub fn is_instance(e: &LispError, class: &str) -> bool {
    if e.kind.type_name() == class {
        return true;
    }
    let (Some(r), Some(b)) = (&e.python_exception, BACKEND.with(|b| b.borrow().clone())) else {
        return false;
    };
    b.mro(r.id).iter().any(|c| c == class)
}

/// Python's traceback for an error that came from Python (formatted on demand).
pub fn traceback(e: &LispError) -> Option<String> {
    if let Some(t) = &e.python_traceback {
        return Some(t.clone());
    }
    let r = e.python_exception.as_ref()?;
    let b = BACKEND.with(|b| b.borrow().clone())?;
    let tb = b.format_exception(r.id);
    // A bare "KeyboardInterrupt" line says nothing the diagnostic does not.
    if tb.is_empty() || (e.kind == ErrorKind::Interrupt && !tb.contains("File ")) {
        return None;
    }
    Some(tb)
}

/// The Python type name of a handle (`type-of`).
pub fn type_name(r: &PyRef) -> String {
    BACKEND
        .with(|b| b.borrow().clone())
        .and_then(|b| b.describe(r.id, 1))
        .map_or_else(|| "py-object".to_string(), |d| d.type_name)
}

/// Attribute names of a bound Python value, for the REPL's completion.
pub fn dir_of(v: &Value) -> Vec<String> {
    if !v.is_py() {
        return Vec::new();
    }
    // Completing `np.` for a bound `np` may start Python; it never runs what is being typed.
    let Ok(b) = backend() else {
        return Vec::new();
    };
    match v {
        Value::Py(r) => b.dir(r.id),
        Value::PyLazy(_) => {
            let mut vm = Vm::bare();
            match force(&mut vm, v) {
                Ok(Value::Py(ref r)) => b.dir(r.id),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// Handles held by the Lisp side right now, with type and short repr (`:handles`).
pub fn list_handles() -> Vec<(u32, String, String)> {
    let Some(b) = BACKEND.with(|b| b.borrow().clone()) else {
        return Vec::new();
    };
    b.list_handles()
        .into_iter()
        .filter_map(|id| b.describe(id, 60).map(|d| (id.index, d.type_name, d.repr)))
        .collect()
}

pub fn live_handles() -> usize {
    BACKEND
        .with(|b| b.borrow().clone())
        .map_or(0, |b| b.live_handles())
}
