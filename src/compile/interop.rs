//! Python attribute access: `(. target a b)` (a lazy attribute chain), setting an attribute
//! with `set!`, and `(batch ...)`, which runs its body under one host attachment.

use super::Gen;
use crate::runtime::function::Code;
use crate::runtime::host::Lazy;
use crate::source::Span;
use crate::syntax::expr::Expr;

impl Gen<'_> {
    pub(super) fn attr(&self, target: &Expr, path: &[String], span: Span) -> Code {
        let (target, path) = (self.expr(target), path.to_vec());
        Box::new(move |vm, f| {
            let t = target(vm, f)?;
            Ok(Lazy::attr(&vm.host, t, path.clone(), span))
        })
    }

    pub(super) fn set_attr(
        &self,
        target: &Expr,
        path: &[String],
        value: &Expr,
        span: Span,
    ) -> Code {
        let (target, value) = (self.expr(target), self.expr(value));
        let path = path.to_vec();
        Box::new(move |vm, f| {
            let t = target(vm, f)?;
            let v = value(vm, f)?;
            let host = vm.host.clone();
            host.set_attr(vm, t, &path, &v, span)?;
            Ok(v)
        })
    }

    pub(super) fn batch(&self, body: &Expr) -> Code {
        let body = self.expr(body);
        // One attachment for the whole block (it lasts to the end of the top-level form).
        Box::new(move |vm, f| {
            vm.host.attach();
            body(vm, f)
        })
    }
}
