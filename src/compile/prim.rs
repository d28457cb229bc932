//! Inline arithmetic: a call such as `(+ a b)` or `(< n 2)`, whose head is a global that holds
//! one of the core numeric builtins when the form is compiled, runs the integer and float cases
//! inline. A guard checks on every run that the global still holds that builtin, so redefining
//! `+` is honoured; everything but the common cases falls back to the builtin itself.

use super::{Code, Gen};
use crate::runtime::builtins::numeric;
use crate::runtime::error::Exn;
use crate::runtime::value::{Builtin, BuiltinFn, Value};
use crate::runtime::Vm;
use crate::syntax::expr::{Call, Expr};

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Lt,
    Gt,
    Le,
    Ge,
    NumEq,
}

#[inline(always)]
fn fast(op: Op, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(match op {
            Op::Add => Value::Int(x.checked_add(*y)?),
            Op::Sub => Value::Int(x.checked_sub(*y)?),
            Op::Mul => Value::Int(x.checked_mul(*y)?),
            Op::Lt => Value::Bool(x < y),
            Op::Gt => Value::Bool(x > y),
            Op::Le => Value::Bool(x <= y),
            Op::Ge => Value::Bool(x >= y),
            Op::NumEq => Value::Bool(x == y),
        }),
        (Value::Float(x), Value::Float(y)) => Some(match op {
            Op::Add => Value::Float(x + y),
            Op::Sub => Value::Float(x - y),
            Op::Mul => Value::Float(x * y),
            Op::Lt => Value::Bool(x < y),
            Op::Gt => Value::Bool(x > y),
            Op::Le => Value::Bool(x <= y),
            Op::Ge => Value::Bool(x >= y),
            Op::NumEq => Value::Bool(x == y),
        }),
        _ => None,
    }
}

/// A two-argument call whose head is a global holding one of the core numeric builtins now:
/// the global's index and the builtin.
fn core_binary(g: &Gen, call: &Call) -> Option<(usize, &'static Builtin)> {
    let Expr::Global(id, _) = call.callee else {
        return None;
    };
    if call.args.len() != 2 {
        return None;
    }
    let Value::Builtin(b) = g.vm.globals.get(id)? else {
        return None;
    };
    let b: &'static Builtin = b;
    numeric::is_core(b).then_some((id, b))
}

pub(super) fn specialize(g: &Gen, call: &Call) -> Option<Code> {
    let (id, expected) = core_binary(g, call)?;
    let op = match expected.name {
        "+" => Op::Add,
        "-" => Op::Sub,
        "*" => Op::Mul,
        "<" => Op::Lt,
        ">" => Op::Gt,
        "<=" => Op::Le,
        ">=" => Op::Ge,
        "=" => Op::NumEq,
        _ => return None,
    };
    let BuiltinFn::Pure(slow) = expected.f else {
        return None;
    };
    let span = call.span;
    // The generic path: evaluate both operands, then dispatch.
    let general = move |vm: &mut Vm, a: Value, b: Value| -> Result<Value, Exn> {
        match &vm.globals[id] {
            Value::Builtin(now) if std::ptr::eq(*now, expected) => {
                if let Some(v) = fast(op, &a, &b) {
                    return Ok(v);
                }
                if a.is_host() || b.is_host() {
                    // Through `invoke`, which runs lazy Python chains first.
                    let callee = vm.globals[id].clone();
                    let base = vm.stack.len();
                    vm.stack.push(a);
                    vm.stack.push(b);
                    return vm.invoke(callee, base, span);
                }
                slow(&[a, b]).map_err(|e| e.at(span))
            }
            _ => {
                let callee = vm.globals[id].clone();
                if matches!(callee, Value::Unbound) {
                    return Err(vm.unbound_error(id, span));
                }
                let base = vm.stack.len();
                vm.stack.push(a);
                vm.stack.push(b);
                vm.invoke(callee, base, span)
            }
        }
    };
    let still_core = move |vm: &Vm| matches!(&vm.globals[id], Value::Builtin(now) if std::ptr::eq(*now, expected));
    // Common shapes read a local slot in place, without cloning it: `(< n 2)`, `(+ i 1)`,
    // `(- a b)`.
    let local = |e: &Expr| match e {
        Expr::Local(b, _) => g.plain_slot(*b),
        _ => None,
    };
    let int_const = |e: &Expr| match e {
        Expr::Const(Value::Int(k)) => Some(*k),
        _ => None,
    };
    match (
        local(&call.args[0]),
        int_const(&call.args[1]),
        local(&call.args[1]),
    ) {
        (Some(s), Some(k), _) => {
            let x = g.expr(&call.args[0]);
            return Some(Box::new(move |vm, f| {
                if still_core(vm) {
                    if let Value::Int(a) = vm.stack[f.base + s] {
                        if let Some(v) = fast_int(op, a, k) {
                            return Ok(v);
                        }
                    }
                }
                let a = x(vm, f)?;
                general(vm, a, Value::Int(k))
            }));
        }
        (Some(s), None, Some(t)) => {
            let (x, y) = (g.expr(&call.args[0]), g.expr(&call.args[1]));
            return Some(Box::new(move |vm, f| {
                if still_core(vm) {
                    let (a, b) = (&vm.stack[f.base + s], &vm.stack[f.base + t]);
                    if let Some(v) = fast(op, a, b) {
                        return Ok(v);
                    }
                }
                let a = x(vm, f)?;
                let b = y(vm, f)?;
                general(vm, a, b)
            }));
        }
        _ => {}
    }
    let x = g.expr(&call.args[0]);
    let y = g.expr(&call.args[1]);
    Some(Box::new(move |vm, f| {
        let a = x(vm, f)?;
        let b = y(vm, f)?;
        general(vm, a, b)
    }))
}

#[inline(always)]
fn fast_int(op: Op, x: i64, y: i64) -> Option<Value> {
    fast(op, &Value::Int(x), &Value::Int(y))
}

/// A test that yields a Rust `bool`: `(if (< n 2) ...)` compares the slot with the constant
/// without making a boolean value. `None` when the test is not such a comparison.
pub(super) type Cond = Box<dyn Fn(&mut Vm, &crate::runtime::function::Frame) -> Result<bool, Exn>>;

pub(super) fn condition(g: &Gen, test: &Expr) -> Option<Cond> {
    let Expr::Call(call) = test else {
        return None;
    };
    let (id, expected) = core_binary(g, call)?;
    let cmp: fn(i64, i64) -> bool = match expected.name {
        "<" => |a, b| a < b,
        ">" => |a, b| a > b,
        "<=" => |a, b| a <= b,
        ">=" => |a, b| a >= b,
        "=" => |a, b| a == b,
        _ => return None,
    };
    let slot = match &call.args[0] {
        Expr::Local(b, _) => g.plain_slot(*b)?,
        _ => return None,
    };
    let Expr::Const(Value::Int(k)) = call.args[1] else {
        return None;
    };
    let full = specialize(g, call)?;
    Some(Box::new(move |vm, f| {
        if let (Value::Builtin(now), Value::Int(a)) = (&vm.globals[id], &vm.stack[f.base + slot]) {
            if std::ptr::eq(*now, expected) {
                return Ok(cmp(*a, k));
            }
        }
        Ok(full(vm, f)?.truthy())
    }))
}
