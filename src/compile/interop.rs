//! Python attribute access: `(. target a b)` (a lazy attribute chain), setting an attribute
//! with `set!`, and `(batch ...)`, which runs its body under one host attachment.

use super::Gen;
use crate::runtime::error::{type_error, Exn};
use crate::runtime::function::Code;
use crate::runtime::host::Lazy;
use crate::runtime::printer::type_and_preview;
use crate::runtime::value::Value;
use crate::source::Span;
use crate::syntax::expr::Expr;

/// Item assignment and deletion are for Python objects: Lisp collections are values.
fn python_place(target: &Value, form: &str, span: Span) -> Result<(), Exn> {
    if target.is_host() {
        return Ok(());
    }
    Err(type_error(format!(
        "`{form}` of an item needs a Python object, got {}",
        type_and_preview(target)
    ))
    .with_help("Lisp collections are values: make a changed copy with `assoc` or `dissoc`")
    .at(span))
}

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

    pub(super) fn set_item(&self, target: &Expr, key: &Expr, value: &Expr, span: Span) -> Code {
        let (target, key, value) = (self.expr(target), self.expr(key), self.expr(value));
        Box::new(move |vm, f| {
            let t = target(vm, f)?;
            let k = key(vm, f)?;
            let v = value(vm, f)?;
            python_place(&t, "set!", span)?;
            let host = vm.host.clone();
            host.set_item(vm, &t, &k, &v, span)?;
            Ok(v)
        })
    }

    pub(super) fn del_item(&self, target: &Expr, key: &Expr, span: Span) -> Code {
        let (target, key) = (self.expr(target), self.expr(key));
        Box::new(move |vm, f| {
            let t = target(vm, f)?;
            let k = key(vm, f)?;
            python_place(&t, "del", span)?;
            let host = vm.host.clone();
            host.del_item(vm, &t, &k, span)?;
            Ok(Value::Nil)
        })
    }

    pub(super) fn del_attr(&self, target: &Expr, path: &[String], span: Span) -> Code {
        let (target, path) = (self.expr(target), path.to_vec());
        Box::new(move |vm, f| {
            let t = target(vm, f)?;
            let host = vm.host.clone();
            host.del_attr(vm, t, &path, span)?;
            Ok(Value::Nil)
        })
    }

    pub(super) fn batch(&self, body: &Expr) -> Code {
        let body = self.expr(body);
        // One attachment for the whole block (it lasts to the end of the top-level form).
        // On a pipelining backend its calls go out together, as one message.
        Box::new(move |vm, f| {
            let host = vm.host.clone();
            host.attach();
            host.begin_batch();
            let r = body(vm, f);
            host.end_batch();
            r
        })
    }
}
