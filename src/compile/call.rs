//! Calls: inline arithmetic first (`prim`), then a literal `($py "name")` import, then the
//! Python call site `(np.sum a)` fused with its attribute chain, then ordinary calls, which
//! hand a tail call to the caller's trampoline.

use super::{prim, Gen};
use crate::runtime::error::Exn;
use crate::runtime::function::{Code, Frame};
use crate::runtime::host::{Lazy, SiteCache};
use crate::runtime::value::Value;
use crate::runtime::{TailCall, Vm};
use crate::source::Span;
use crate::syntax::expr::{Call, Expr};

impl Gen<'_> {
    pub(super) fn call(&self, call: &Call) -> Code {
        if let Some(code) = prim::specialize(self, call) {
            return code;
        }
        if let Some(code) = prim::specialize_unary(self, call) {
            return code;
        }
        if let Some(code) = self.constant_import(call) {
            return code;
        }
        if let Expr::Attr(target, path, _) = &call.callee {
            return self.py_call(target, path, call);
        }
        let args = self.exprs(&call.args);
        let (span, tail) = (call.span, call.tail);
        if let Expr::Global(id, gspan) = call.callee {
            // The usual case, `(f x)` with `f` global: read the slot here.
            return Box::new(move |vm, f| {
                let callee = match &vm.globals[id] {
                    Value::Unbound => return Err(vm.unbound_error(id, gspan)),
                    v => v.clone(),
                };
                call_with(vm, f, callee, &args, span, tail)
            });
        }
        let callee = self.expr(&call.callee);
        Box::new(move |vm, f| {
            let callee = callee(vm, f)?;
            call_with(vm, f, callee, &args, span, tail)
        })
    }

    /// `(np.sum a)`, `((. np sum) a)`: fused into one request, with a call-site cache.
    fn py_call(&self, target: &Expr, path: &[String], call: &Call) -> Code {
        let target = self.expr(target);
        let path = path.to_vec();
        let args = self.exprs(&call.args);
        let span = call.span;
        let site = SiteCache::default();
        Box::new(move |vm, f| {
            let t = target(vm, f)?;
            let base = vm.stack.len();
            for a in &args {
                let v = a(vm, f)?;
                vm.stack.push(v);
            }
            let host = vm.host.clone();
            let r = host.call_attr(vm, &site, t, &path, base, span);
            vm.stack.truncate(base);
            r
        })
    }

    /// `($py "numpy")` with a literal name: the lazy module value is made once per call site
    /// (while `$py` is still the builtin), so a loop does not rebuild it on every iteration.
    fn constant_import(&self, call: &Call) -> Option<Code> {
        let Expr::Global(id, _) = call.callee else {
            return None;
        };
        let [Expr::Const(Value::Str(name))] = call.args.as_slice() else {
            return None;
        };
        let Some(Value::Builtin(b)) = self.vm.globals.get(id) else {
            return None;
        };
        if b.name != "$py" {
            return None;
        }
        let expected: &'static crate::runtime::value::Builtin = b;
        let module = Lazy::import(self.vm.host.clone(), name, call.span);
        let (name, span) = (name.clone(), call.span);
        Some(Box::new(move |vm, _| match &vm.globals[id] {
            Value::Builtin(now) if std::ptr::eq(*now, expected) => Ok(module.clone()),
            other => {
                let callee = other.clone();
                let base = vm.stack.len();
                vm.stack.push(Value::Str(name.clone()));
                vm.invoke(callee, base, span)
            }
        }))
    }
}

/// Pushes the arguments and calls `callee`, or hands a tail call to the trampoline. Only Lisp
/// functions need the trampoline; a builtin returns at once, and calling it here keeps the
/// caller's frame in stack traces.
#[inline(always)]
fn call_with(
    vm: &mut Vm,
    f: &Frame,
    callee: Value,
    args: &[Code],
    span: Span,
    tail: bool,
) -> Result<Value, Exn> {
    let base = vm.stack.len();
    for a in args {
        let v = a(vm, f)?;
        vm.stack.push(v);
    }
    if tail && matches!(callee, Value::Func(_)) {
        vm.tail = Some(TailCall { callee, base, span });
        return Ok(Value::Nil);
    }
    vm.invoke(callee, base, span)
}
