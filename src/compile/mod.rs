//! The compiler: the analyzed AST to a tree of Rust closures (`Code`), one per node, with every
//! variable already turned into a frame slot, a capture index or a global index. No name is
//! looked up at run time.
//!
//! Frames live on the VM's value stack: a call's arguments are pushed where the callee's frame
//! begins, so passing them copies nothing. Closures capture by value (flat closures); a binding
//! that is both captured and `set!` lives in a shared cell instead. Calls in tail position hand
//! their callee and arguments to the caller's trampoline (`Vm::invoke`) rather than recursing.

pub mod meta;
mod prim;

use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::function::{CaptureFrom, Code, Frame, Proto};
use crate::runtime::host::{Lazy, SiteCache};
use crate::runtime::value::{Closure, Value};
use crate::runtime::{TailCall, Vm};
use crate::source::Span;
use crate::syntax::expr::*;
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

    fn expr_inner(&self, e: &Expr) -> Code {
        match e {
            Expr::Const(v) => {
                let v = v.clone();
                Box::new(move |_, _| Ok(v.clone()))
            }
            Expr::Local(b, _) => match self.access(*b) {
                Access::Slot(s, false) => Box::new(move |vm, f| Ok(vm.stack[f.base + s].clone())),
                Access::Slot(s, true) => Box::new(move |vm, f| Ok(deref(&vm.stack[f.base + s]))),
                Access::Capture(i, false) => Box::new(move |_, f| Ok(f.captures[i].clone())),
                Access::Capture(i, true) => Box::new(move |_, f| Ok(deref(&f.captures[i]))),
            },
            Expr::Global(id, span) => {
                let (id, span) = (*id, *span);
                Box::new(move |vm, _| match &vm.globals[id] {
                    Value::Unbound => Err(vm.unbound_error(id, span)),
                    v => Ok(v.clone()),
                })
            }
            Expr::If(t, a, b) => {
                if let Some(cond) = prim::condition(self, t) {
                    let (a, b) = (self.expr(a), self.expr(b));
                    return Box::new(move |vm, f| if cond(vm, f)? { a(vm, f) } else { b(vm, f) });
                }
                let (t, a, b) = (self.expr(t), self.expr(a), self.expr(b));
                Box::new(move |vm, f| {
                    if t(vm, f)?.truthy() {
                        a(vm, f)
                    } else {
                        b(vm, f)
                    }
                })
            }
            Expr::Do(es) => {
                let mut codes = self.exprs(es);
                let last = codes.pop().expect("analyzer never makes an empty do");
                Box::new(move |vm, f| {
                    for c in &codes {
                        c(vm, f)?;
                    }
                    last(vm, f)
                })
            }
            Expr::Def(id, value, _) => {
                let (id, value) = (*id, self.expr(value));
                Box::new(move |vm, f| {
                    let v = value(vm, f)?;
                    vm.globals[id] = v;
                    Ok(Value::Symbol(vm.global_name(id)))
                })
            }
            Expr::DefMacro(id, fe, _) => {
                let (id, make) = (*id, self.closure(fe));
                Box::new(move |vm, f| {
                    let Value::Func(ref c) = make(vm, f)? else {
                        unreachable!("closure() makes functions")
                    };
                    vm.globals[id] = Value::Macro(c.clone());
                    Ok(Value::Symbol(vm.global_name(id)))
                })
            }
            Expr::Let(binds, body) => {
                let binds: Vec<(usize, bool, Code)> = binds
                    .iter()
                    .map(|(b, e)| {
                        let info = &self.a.bindings[*b];
                        (info.slot, info.boxed(), self.expr(e))
                    })
                    .collect();
                let body = self.expr(body);
                Box::new(move |vm, f| {
                    for (slot, boxed, code) in &binds {
                        let v = code(vm, f)?;
                        store(vm, f.base + slot, *boxed, v);
                    }
                    body(vm, f)
                })
            }
            Expr::Fn(fe) => self.closure(fe),
            Expr::SetLocal(b, value, _) => {
                let value = self.expr(value);
                match self.access(*b) {
                    Access::Slot(s, false) => Box::new(move |vm, f| {
                        let v = value(vm, f)?;
                        vm.stack[f.base + s] = v.clone();
                        Ok(v)
                    }),
                    Access::Slot(s, true) => Box::new(move |vm, f| {
                        let v = value(vm, f)?;
                        if let Value::Cell(c) = &vm.stack[f.base + s] {
                            *c.borrow_mut() = v.clone();
                        }
                        Ok(v)
                    }),
                    Access::Capture(i, _) => Box::new(move |vm, f| {
                        let v = value(vm, f)?;
                        if let Value::Cell(c) = &f.captures[i] {
                            *c.borrow_mut() = v.clone();
                        }
                        Ok(v)
                    }),
                }
            }
            Expr::SetGlobal(id, value, span) => {
                let (id, span, value) = (*id, *span, self.expr(value));
                Box::new(move |vm, f| {
                    let v = value(vm, f)?;
                    if matches!(vm.globals[id], Value::Unbound) {
                        let name = vm.global_name(id);
                        return Err(LispError::new(
                            ErrorKind::Unbound,
                            format!("cannot `set!` `{name}`: it is not defined"),
                        )
                        .with_help(format!("define it first with (def {name} ...)"))
                        .at(span));
                    }
                    vm.globals[id] = v.clone();
                    Ok(v)
                })
            }
            Expr::Call(call) => self.call(call),
            Expr::And(es) => {
                let codes = self.exprs(es);
                Box::new(move |vm, f| {
                    let mut last = Value::Bool(true);
                    for c in &codes {
                        last = c(vm, f)?;
                        if !last.truthy() {
                            break;
                        }
                    }
                    Ok(last)
                })
            }
            Expr::Or(es) => {
                let codes = self.exprs(es);
                Box::new(move |vm, f| {
                    let mut last = Value::Nil;
                    for c in &codes {
                        last = c(vm, f)?;
                        if last.truthy() {
                            break;
                        }
                    }
                    Ok(last)
                })
            }
            Expr::Try(t) => self.try_expr(t),
            Expr::Attr(target, path, span) => {
                let (target, path, span) = (self.expr(target), path.clone(), *span);
                Box::new(move |vm, f| {
                    let t = target(vm, f)?;
                    Ok(Lazy::attr(&vm.host, t, path.clone(), span))
                })
            }
            Expr::SetAttr(target, path, value, span) => {
                let (target, value, span) = (self.expr(target), self.expr(value), *span);
                let path = path.clone();
                Box::new(move |vm, f| {
                    let t = target(vm, f)?;
                    let v = value(vm, f)?;
                    let host = vm.host.clone();
                    host.set_attr(vm, t, &path, &v, span)?;
                    Ok(v)
                })
            }
            Expr::Batch(body) => {
                let body = self.expr(body);
                // One attachment for the whole block (it lasts to the end of the top-level form).
                Box::new(move |vm, f| {
                    vm.host.attach();
                    body(vm, f)
                })
            }
            Expr::Loop(l) => {
                let binds: Vec<(usize, bool, Code)> = l
                    .bindings
                    .iter()
                    .map(|(b, e)| {
                        let info = &self.a.bindings[*b];
                        (info.slot, info.boxed(), self.expr(e))
                    })
                    .collect();
                let body = self.expr(&l.body);
                Box::new(move |vm, f| {
                    for (slot, boxed, code) in &binds {
                        let v = code(vm, f)?;
                        store(vm, f.base + slot, *boxed, v);
                    }
                    run_loop(vm, f, &body)
                })
            }
            Expr::Recur(targets, args, _) => {
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
        }
    }

    /// Code that makes a closure of `fe`, capturing from the current frame.
    fn closure(&self, fe: &Rc<FnExpr>) -> Code {
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

    fn call(&self, call: &Call) -> Code {
        if let Some(code) = prim::specialize(self, call) {
            return code;
        }
        if let Some(code) = self.constant_import(call) {
            return code;
        }
        if let Expr::Attr(target, path, _) = &call.callee {
            // `(np.sum a)`, `((. np sum) a)`: fused into one request, with a call-site cache.
            let target = self.expr(target);
            let path = path.clone();
            let args = self.exprs(&call.args);
            let span = call.span;
            let site = SiteCache::default();
            return Box::new(move |vm, f| {
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
            });
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

    fn try_expr(&self, t: &TryExpr) -> Code {
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
            let mut r = body(vm, f);
            if let Err(e) = r {
                vm.stack.truncate(sp);
                vm.depth = depth;
                vm.tail = None;
                vm.recur = false;
                r = Err(e);
                if let Err(e) = &r {
                    if !e.is_uncatchable() {
                        let found = catches.iter().find(|(ty, ..)| match ty {
                            None => true,
                            Some(name) => vm.error_matches(e, name),
                        });
                        if let Some((_, slot, boxed, handler)) = found {
                            let Err(e) = r else { unreachable!() };
                            store(vm, f.base + slot, *boxed, Value::Error(Rc::new(*e)));
                            r = handler(vm, f);
                        }
                    }
                }
            }
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
