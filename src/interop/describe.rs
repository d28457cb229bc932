//! Python values as people see them: printing handles and lazy chains, `type-of`, completion
//! of attribute names, the `:handles` listing, and tracebacks for errors.

use super::*;
use crate::bridge::backend::Want;

/// Text for printing a handle: `#<py numpy.ndarray h3 array([0., 0., 0.])>` (readable) or
/// Python's `str(obj)` (display).
pub(super) fn describe(i: &Interop, r: &HostRef, readable: bool) -> String {
    let Some(b) = i.backend.borrow().clone() else {
        return format!("#<py h{}>", r.id.index);
    };
    let want = if readable { Want::Repr(80) } else { Want::Str };
    match b.describe(r.id, want) {
        Some(d) if readable => format!("#<py {} h{} {}>", d.type_name, r.id.index, d.repr),
        Some(d) => d.str,
        None => format!("#<py h{} released>", r.id.index),
    }
}

/// Printing a lazy chain runs it (without Lisp callbacks: printing cannot call back).
pub(super) fn describe_lazy(i: &Interop, l: &Lazy, readable: bool) -> String {
    let mut vm = Vm::bare_with(i.host());
    let chain = Value::Lazy(Rc::new(Lazy::new(
        i.host(),
        l.root.clone(),
        l.path.clone(),
        l.span,
    )));
    match i.force(&mut vm, &chain) {
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

/// The Python type name of a handle (`type-of`).
pub(super) fn type_name(i: &Interop, r: &HostRef) -> String {
    i.backend
        .borrow()
        .as_ref()
        .and_then(|b| b.describe(r.id, Want::Type))
        .map_or_else(|| "py-object".to_string(), |d| d.type_name)
}

impl Interop {
    /// Attribute names of a bound Python value, for completion. Completing `np.` for a bound
    /// `np` may start Python; it never runs what is being typed.
    pub fn dir_of(&self, v: &Value) -> Vec<String> {
        if !v.is_host() {
            return Vec::new();
        }
        let Ok(b) = self.backend() else {
            return Vec::new();
        };
        match v {
            Value::Host(r) => b.dir(r.id),
            Value::Lazy(_) => {
                let mut vm = Vm::bare_with(self.host());
                match self.force(&mut vm, v) {
                    Ok(Value::Host(ref r)) => b.dir(r.id),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Handles held by the Lisp side right now, with type and short repr (`:handles`).
    /// The workers of the backend, for `:workers` (empty in-process or before Python starts).
    pub fn worker_rows(&self) -> Vec<crate::bridge::backend::WorkerRow> {
        self.backend
            .borrow()
            .as_ref()
            .map_or_else(Vec::new, |b| b.worker_rows())
    }

    pub fn list_handles(&self) -> Vec<(u32, String, String)> {
        let Some(b) = self.backend.borrow().clone() else {
            return Vec::new();
        };
        b.list_handles()
            .into_iter()
            .filter_map(|id| {
                b.describe(id, Want::Repr(60))
                    .map(|d| (id.index, d.type_name, d.repr))
            })
            .collect()
    }

    pub fn live_handles(&self) -> usize {
        self.backend
            .borrow()
            .as_ref()
            .map_or(0, |b| b.live_handles())
    }
}
