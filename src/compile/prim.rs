//! Inline arithmetic: a call such as `(+ a b)` or `(< n 2)`, whose head is a global that holds
//! one of the core numeric builtins when the form is compiled, runs the integer and float cases
//! inline. A guard checks on every run that the global still holds that builtin, so redefining
//! `+` is honoured; everything but the common cases falls back to the builtin itself.

use super::{Code, Gen};
use crate::runtime::builtins::numeric;
use crate::runtime::value::{Builtin, BuiltinFn, Value};
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

pub(super) fn specialize(g: &Gen, call: &Call) -> Option<Code> {
    let Expr::Global(id, _) = call.callee else {
        return None;
    };
    if call.args.len() != 2 {
        return None;
    }
    let Value::Builtin(b) = g.vm.globals.get(id)? else {
        return None;
    };
    let expected: &'static Builtin = b;
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
    if !numeric::is_core(expected) {
        return None;
    }
    let BuiltinFn::Pure(slow) = expected.f else {
        return None;
    };
    let x = g.expr(&call.args[0]);
    let y = g.expr(&call.args[1]);
    let span = call.span;
    Some(Box::new(move |vm, f| {
        let a = x(vm, f)?;
        let b = y(vm, f)?;
        match &vm.globals[id] {
            Value::Builtin(now) if std::ptr::eq(*now, expected) => {
                if let Some(v) = fast(op, &a, &b) {
                    return Ok(v);
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
    }))
}
