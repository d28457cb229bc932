//! Control flow: `if` (with a comparison test run as a Rust `bool` when it can be, see
//! `prim::condition`), `do`, `and`, `or`, and `try` / `catch` / `finally`.

use super::{prim, store, Gen};
use crate::runtime::error::Exn;
use crate::runtime::function::Code;
use crate::runtime::value::Value;
use crate::runtime::Vm;
use crate::syntax::expr::{Expr, TryExpr};
use std::rc::Rc;

/// A test's value: a lazy chain (or a pending call) is run (or waited for) first, so that its
/// Python value decides (`None` and `False` are false, as in Python).
#[inline]
fn tested(vm: &mut Vm, v: Value) -> Result<Value, Exn> {
    match v {
        Value::Lazy(_) => vm.force(&v),
        v => Ok(v),
    }
}

impl Gen<'_> {
    pub(super) fn if_expr(&self, t: &Expr, a: &Expr, b: &Expr) -> Code {
        if let Some(cond) = prim::condition(self, t) {
            let (a, b) = (self.expr(a), self.expr(b));
            return Box::new(move |vm, f| if cond(vm, f)? { a(vm, f) } else { b(vm, f) });
        }
        let (t, a, b) = (self.expr(t), self.expr(a), self.expr(b));
        Box::new(move |vm, f| {
            let v = t(vm, f)?;
            if tested(vm, v)?.truthy() {
                a(vm, f)
            } else {
                b(vm, f)
            }
        })
    }

    pub(super) fn do_expr(&self, es: &[Expr]) -> Code {
        let mut codes = self.exprs(es);
        let last = codes.pop().expect("analyzer never makes an empty do");
        Box::new(move |vm, f| {
            for c in &codes {
                c(vm, f)?;
            }
            last(vm, f)
        })
    }

    pub(super) fn and(&self, es: &[Expr]) -> Code {
        let codes = self.exprs(es);
        Box::new(move |vm, f| {
            let mut last = Value::Bool(true);
            for c in &codes {
                let v = c(vm, f)?;
                last = tested(vm, v)?;
                if !last.truthy() {
                    break;
                }
            }
            Ok(last)
        })
    }

    pub(super) fn or(&self, es: &[Expr]) -> Code {
        let codes = self.exprs(es);
        Box::new(move |vm, f| {
            let mut last = Value::Nil;
            for c in &codes {
                let v = c(vm, f)?;
                last = tested(vm, v)?;
                if last.truthy() {
                    break;
                }
            }
            Ok(last)
        })
    }

    pub(super) fn try_expr(&self, t: &TryExpr) -> Code {
        let body = self.expr(&t.body);
        let catches: Vec<(Option<String>, usize, bool, Code)> = t
            .catches
            .iter()
            .map(|c| {
                let info = &self.a.bindings[c.binding];
                (
                    c.type_name.clone(),
                    info.slot,
                    info.boxed(),
                    self.expr(&c.body),
                )
            })
            .collect();
        let finally = t.finally.as_ref().map(|e| self.expr(e));
        Box::new(move |vm, f| {
            let sp = vm.stack.len();
            let depth = vm.depth;
            // Python calls of the body still in flight (a pipelining backend) are waited for
            // here: their failures are the body's, to catch; one that came before a Lisp
            // error is what the body raised first.
            let body_result = match body(vm, f) {
                Ok(v) => vm.settle().map(|()| v),
                Err(e) if e.is_uncatchable() => Err(e),
                Err(e) => Err(vm.settle().err().unwrap_or(e)),
            };
            let r = match body_result {
                Err(e) => {
                    vm.stack.truncate(sp);
                    vm.depth = depth;
                    vm.tail = None;
                    vm.recur = false;
                    let found = if e.is_uncatchable() {
                        None
                    } else {
                        catches.iter().find(|(ty, ..)| match ty {
                            None => true,
                            Some(name) => vm.error_matches(&e, name),
                        })
                    };
                    match found {
                        Some((_, slot, boxed, handler)) => {
                            store(vm, f.base + slot, *boxed, Value::Error(Rc::new(*e)));
                            handler(vm, f)
                        }
                        None => Err(e),
                    }
                }
                ok => ok,
            };
            if let Some(fin) = &finally {
                let sp = vm.stack.len();
                if let Err(e) = fin(vm, f) {
                    vm.stack.truncate(sp);
                    return Err(e);
                }
            }
            r
        })
    }
}
