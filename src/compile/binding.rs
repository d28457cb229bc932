//! Forms that bind: `let`, `loop` and `recur` (a loop body runs until no `recur` is pending),
//! and `fn`, which makes a flat closure capturing from the current frame.

use super::{store, Access, Gen};
use crate::runtime::error::Exn;
use crate::runtime::function::{CaptureFrom, Code, Frame, Proto};
use crate::runtime::value::{Closure, Value};
use crate::runtime::Vm;
use crate::syntax::expr::{BindingId, Expr, FnExpr, LoopExpr};
use std::rc::Rc;

impl Gen<'_> {
    /// The bindings of a `let` or `loop`: each one's slot, whether it lives in a cell, and the
    /// code of its value.
    fn bindings(&self, binds: &[(BindingId, Expr)]) -> Vec<(usize, bool, Code)> {
        binds
            .iter()
            .map(|(b, e)| {
                let info = &self.a.bindings[*b];
                (info.slot, info.boxed(), self.expr(e))
            })
            .collect()
    }

    pub(super) fn let_expr(&self, binds: &[(BindingId, Expr)], body: &Expr) -> Code {
        let binds = self.bindings(binds);
        let body = self.expr(body);
        Box::new(move |vm, f| {
            for (slot, boxed, code) in &binds {
                let v = code(vm, f)?;
                store(vm, f.base + slot, *boxed, v);
            }
            body(vm, f)
        })
    }

    pub(super) fn loop_expr(&self, l: &LoopExpr) -> Code {
        let binds = self.bindings(&l.bindings);
        let body = self.expr(&l.body);
        Box::new(move |vm, f| {
            for (slot, boxed, code) in &binds {
                let v = code(vm, f)?;
                store(vm, f.base + slot, *boxed, v);
            }
            run_loop(vm, f, &body)
        })
    }

    pub(super) fn recur(&self, targets: &[BindingId], args: &[Expr]) -> Code {
        let targets: Vec<(usize, bool)> = targets
            .iter()
            .map(|b| {
                let info = &self.a.bindings[*b];
                (info.slot, info.boxed())
            })
            .collect();
        let args = self.exprs(args);
        let plain = targets.iter().all(|(_, boxed)| !boxed);
        match (args.len(), plain) {
            // The common loops: new values straight into their slots (each value moves
            // once; the general path's push and pop cost a store-forwarding stall each).
            (1, true) => {
                let s0 = targets[0].0;
                let a0 = args.into_iter().next().expect("one argument");
                Box::new(move |vm, f| {
                    vm.stack[f.base + s0] = a0(vm, f)?;
                    vm.recur = true;
                    Ok(Value::Nil)
                })
            }
            (2, true) => {
                let (s0, s1) = (targets[0].0, targets[1].0);
                let mut it = args.into_iter();
                let (a0, a1) = (it.next().expect("two"), it.next().expect("two"));
                Box::new(move |vm, f| {
                    let v0 = a0(vm, f)?;
                    let v1 = a1(vm, f)?;
                    vm.stack[f.base + s0] = v0;
                    vm.stack[f.base + s1] = v1;
                    vm.recur = true;
                    Ok(Value::Nil)
                })
            }
            _ => Box::new(move |vm, f| {
                for a in &args {
                    let v = a(vm, f)?;
                    vm.stack.push(v);
                }
                for (slot, boxed) in targets.iter().rev() {
                    let v = vm.stack.pop().unwrap_or_default();
                    store(vm, f.base + slot, *boxed, v);
                }
                vm.recur = true;
                Ok(Value::Nil)
            }),
        }
    }

    /// Code that makes a closure of `fe`, capturing from the current frame.
    pub(super) fn closure(&self, fe: &Rc<FnExpr>) -> Code {
        let inner = Gen {
            a: self.a,
            cur: fe.id,
            vm: self.vm,
        };
        let info = &self.a.fns[fe.id];
        let captures: Vec<CaptureFrom> = info
            .captures
            .iter()
            .map(|b| match self.access(*b) {
                Access::Slot(s, _) => CaptureFrom::Slot(s),
                Access::Capture(i, _) => CaptureFrom::Capture(i),
            })
            .collect();
        let mut body = inner.expr(&fe.body);
        if fe.self_recur {
            body = Box::new(move |vm, f| run_loop(vm, f, &body));
        }
        let boxed_params = fe
            .params
            .iter()
            .chain(fe.rest.iter())
            .filter(|b| self.a.bindings[**b].boxed())
            .map(|b| self.a.bindings[*b].slot)
            .collect();
        let proto = Rc::new(Proto {
            name: fe.name,
            nparams: fe.params.len(),
            rest: fe.rest.is_some(),
            frame_size: info.frame_size,
            boxed_params,
            captures,
            body,
            span: fe.span,
            toplevel: false,
        });
        Box::new(move |vm, f| {
            let captures = proto
                .captures
                .iter()
                .map(|c| match c {
                    CaptureFrom::Slot(s) => vm.stack[f.base + s].clone(),
                    CaptureFrom::Capture(i) => f.captures[*i].clone(),
                })
                .collect();
            Ok(Value::Func(Rc::new(Closure {
                proto: proto.clone(),
                captures,
            })))
        })
    }
}

/// Runs `body` until it finishes without a pending `recur`.
fn run_loop(vm: &mut Vm, f: &Frame, body: &Code) -> Result<Value, Exn> {
    loop {
        let v = body(vm, f)?;
        if vm.recur {
            vm.recur = false;
            vm.check_interrupt()?;
            continue;
        }
        return Ok(v);
    }
}
