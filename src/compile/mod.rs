//! The compiler: the analyzed AST to a tree of Rust closures (`Code`), one per node, with every
//! variable already turned into a frame slot, a capture index or a global index. No name is
//! looked up at run time.
//!
//! Frames live on the VM's value stack: a call's arguments are pushed where the callee's frame
//! begins, so passing them copies nothing. Closures capture by value (flat closures); a binding
//! that is both captured and `set!` lives in a shared cell instead. Calls in tail position hand
//! their callee and arguments to the caller's trampoline (`Vm::invoke`) rather than recursing.

mod access;
mod binding;
mod call;
mod control;
mod interop;
pub mod meta;
mod prim;

use crate::runtime::function::{Code, Proto};
use crate::runtime::value::Value;
use crate::runtime::Vm;
use crate::syntax::expr::{Analysis, BindingId, Expr, FnId};
use std::cell::RefCell;
use std::rc::Rc;

/// Compiles one analyzed top-level form into a function of no arguments.
pub fn compile(a: &Analysis, vm: &Vm) -> Rc<Proto> {
    let g = Gen { a, cur: 0, vm };
    let body = g.expr(&a.expr);
    Rc::new(Proto {
        name: None,
        nparams: 0,
        rest: false,
        frame_size: a.fns[0].frame_size,
        boxed_params: Vec::new(),
        captures: Vec::new(),
        body,
        span: a.span,
        toplevel: true,
    })
}

struct Gen<'a> {
    a: &'a Analysis,
    cur: FnId,
    /// Read only, to see which builtin a global holds now (see `prim`).
    vm: &'a Vm,
}

/// How code in the current function reaches a binding.
enum Access {
    Slot(usize, bool),
    Capture(usize, bool),
}

fn store(vm: &mut Vm, slot: usize, boxed: bool, v: Value) {
    vm.stack[slot] = if boxed {
        Value::Cell(Rc::new(RefCell::new(v)))
    } else {
        v
    };
}

fn deref(v: &Value) -> Value {
    match v {
        Value::Cell(c) => c.borrow().clone(),
        other => other.clone(),
    }
}

impl<'a> Gen<'a> {
    /// The frame slot of a plain (unboxed) local of the current function, if it is one.
    pub(super) fn plain_slot(&self, b: BindingId) -> Option<usize> {
        match self.access(b) {
            Access::Slot(s, false) => Some(s),
            _ => None,
        }
    }

    fn access(&self, b: BindingId) -> Access {
        let info = &self.a.bindings[b];
        if info.owner == self.cur {
            Access::Slot(info.slot, info.boxed())
        } else {
            let i = self.a.fns[self.cur]
                .captures
                .iter()
                .position(|c| *c == b)
                .expect("analyzer registered the capture");
            Access::Capture(i, info.boxed())
        }
    }

    fn exprs(&self, es: &[Expr]) -> Vec<Code> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&self, e: &Expr) -> Code {
        crate::stack::guarded(|| self.expr_inner(e))
    }

    /// One method per node kind, grouped by category in the submodules.
    fn expr_inner(&self, e: &Expr) -> Code {
        match e {
            Expr::Const(v) => self.constant(v),
            Expr::Local(b, _) => self.local(*b),
            Expr::Global(id, span) => self.global(*id, *span),
            Expr::SetLocal(b, value, _) => self.set_local(*b, value),
            Expr::SetGlobal(id, value, span) => self.set_global(*id, value, *span),
            Expr::Def(id, value, _) => self.def(*id, value),
            Expr::DefMacro(id, fe, _) => self.defmacro(*id, fe),
            Expr::If(t, a, b) => self.if_expr(t, a, b),
            Expr::Do(es) => self.do_expr(es),
            Expr::And(es) => self.and(es),
            Expr::Or(es) => self.or(es),
            Expr::Try(t) => self.try_expr(t),
            Expr::Let(binds, body) => self.let_expr(binds, body),
            Expr::Loop(l) => self.loop_expr(l),
            Expr::Recur(targets, args, _) => self.recur(targets, args),
            Expr::Fn(fe) => self.closure(fe),
            Expr::Call(call) => self.call(call),
            Expr::Attr(target, path, span) => self.attr(target, path, *span),
            Expr::SetAttr(target, path, value, span) => self.set_attr(target, path, value, *span),
            Expr::SetItem(target, key, value, span) => self.set_item(target, key, value, *span),
            Expr::DelItem(target, key, span) => self.del_item(target, key, *span),
            Expr::DelAttr(target, path, span) => self.del_attr(target, path, *span),
            Expr::Batch(body) => self.batch(body),
        }
    }
}
