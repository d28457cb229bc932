//! Inline arithmetic: a call such as `(+ a b)`, `(< n 2)` or `(inc i)`, whose head is a global
//! that holds one of the core numeric builtins when the form is compiled, runs the integer and
//! float cases inline. A guard checks on every run that the global still holds that builtin, so redefining
//! `+` is honoured; everything but the common cases falls back to the builtin itself.

use super::{Code, Gen};
use crate::runtime::builtins::numeric;
use crate::runtime::error::Exn;
use crate::runtime::value::{Builtin, BuiltinFn, BuiltinResult, Value};
use crate::runtime::Vm;
use crate::source::Span;
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

/// A call of `arity` arguments whose head is a global holding one of the core numeric
/// builtins now: the global's index and the builtin.
fn core_builtin(g: &Gen, call: &Call, arity: usize) -> Option<(usize, &'static Builtin)> {
    let Expr::Global(id, _) = call.callee else {
        return None;
    };
    if call.args.len() != arity {
        return None;
    }
    let Value::Builtin(b) = g.vm.globals.get(id)? else {
        return None;
    };
    let b: &'static Builtin = b;
    numeric::is_core(b).then_some((id, b))
}

fn core_binary(g: &Gen, call: &Call) -> Option<(usize, &'static Builtin)> {
    core_builtin(g, call, 2)
}

/// The operators run inline, by the name of the builtin they stand for.
const OPS: [(&str, Op); 8] = [
    ("+", Op::Add),
    ("-", Op::Sub),
    ("*", Op::Mul),
    ("<", Op::Lt),
    (">", Op::Gt),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("=", Op::NumEq),
];

fn op_named(name: &str) -> Option<Op> {
    OPS.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
}

/// The generic path of a specialized call: both operands evaluated, then dispatched (inline,
/// through the builtin, or to whatever the global holds now).
fn general(
    id: usize,
    expected: &'static Builtin,
    op: Op,
    slow: fn(&[Value]) -> BuiltinResult,
    span: Span,
) -> impl Fn(&mut Vm, Value, Value) -> Result<Value, Exn> {
    move |vm: &mut Vm, a: Value, b: Value| -> Result<Value, Exn> {
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
    }
}

/// A plain local's frame slot, for the shapes that read it in place.
fn local_slot(g: &Gen, e: &Expr) -> Option<usize> {
    match e {
        Expr::Local(b, _) => g.plain_slot(*b),
        _ => None,
    }
}

fn int_const(e: &Expr) -> Option<i64> {
    match e {
        Expr::Const(Value::Int(k)) => Some(*k),
        _ => None,
    }
}

pub(super) fn specialize(g: &Gen, call: &Call) -> Option<Code> {
    let (id, expected) = core_binary(g, call)?;
    let op = op_named(expected.name)?;
    let BuiltinFn::Pure(slow) = expected.f else {
        return None;
    };
    let general = general(id, expected, op, slow, call.span);
    let still_core = move |vm: &Vm| matches!(&vm.globals[id], Value::Builtin(now) if std::ptr::eq(*now, expected));
    let (x, y) = (&call.args[0], &call.args[1]);
    // Common shapes read a local slot in place, without cloning it: `(< n 2)`, `(+ i 1)`,
    // `(- a b)`.
    Some(match (local_slot(g, x), int_const(y), local_slot(g, y)) {
        (Some(s), Some(k), _) => {
            let x = g.expr(x);
            Box::new(move |vm, f| {
                if still_core(vm) {
                    if let Value::Int(a) = vm.stack[f.base + s] {
                        if let Some(v) = fast_int(op, a, k) {
                            return Ok(v);
                        }
                    }
                }
                let a = x(vm, f)?;
                general(vm, a, Value::Int(k))
            })
        }
        (Some(s), None, None) if matches!(y, Expr::Const(Value::Float(_))) => {
            // `(* acc 0.5)`: a float slot and a float constant.
            let Expr::Const(Value::Float(k)) = *y else {
                unreachable!("matched above")
            };
            let x = g.expr(x);
            Box::new(move |vm, f| {
                if still_core(vm) {
                    if let Value::Float(a) = vm.stack[f.base + s] {
                        if let Some(v) = fast(op, &Value::Float(a), &Value::Float(k)) {
                            return Ok(v);
                        }
                    }
                }
                let a = x(vm, f)?;
                general(vm, a, Value::Float(k))
            })
        }
        (Some(s), None, Some(t)) => {
            let (x, y) = (g.expr(x), g.expr(y));
            Box::new(move |vm, f| {
                if still_core(vm) {
                    let (a, b) = (&vm.stack[f.base + s], &vm.stack[f.base + t]);
                    if let Some(v) = fast(op, a, b) {
                        return Ok(v);
                    }
                }
                let a = x(vm, f)?;
                let b = y(vm, f)?;
                general(vm, a, b)
            })
        }
        (None, Some(k), _) => {
            // `(+ (* a b) 1)`: any operand and an integer constant, without evaluating the
            // constant as an expression.
            let x = g.expr(x);
            Box::new(move |vm, f| {
                let a = x(vm, f)?;
                if let Value::Int(i) = a {
                    if still_core(vm) {
                        if let Some(v) = fast_int(op, i, k) {
                            return Ok(v);
                        }
                    }
                }
                general(vm, a, Value::Int(k))
            })
        }
        (None, None, None) if matches!(y, Expr::Const(Value::Float(_))) => {
            // `(+ (* acc 0.999999) 1.5)`: any operand and a float constant.
            let Expr::Const(Value::Float(k)) = *y else {
                unreachable!("matched above")
            };
            let x = g.expr(x);
            Box::new(move |vm, f| {
                let a = x(vm, f)?;
                if let Value::Float(af) = a {
                    if still_core(vm) {
                        if let Some(v) = fast(op, &Value::Float(af), &Value::Float(k)) {
                            return Ok(v);
                        }
                    }
                }
                general(vm, a, Value::Float(k))
            })
        }
        _ => {
            let x = g.expr(x);
            let y = g.expr(y);
            Box::new(move |vm, f| {
                let a = x(vm, f)?;
                let b = y(vm, f)?;
                general(vm, a, b)
            })
        }
    })
}

/// The one-argument builtins run inline, by name.
#[derive(Clone, Copy)]
enum Unary {
    Inc,
    Dec,
    Zero,
    Pos,
    Neg,
}

const UNARY: [(&str, Unary); 5] = [
    ("inc", Unary::Inc),
    ("dec", Unary::Dec),
    ("zero?", Unary::Zero),
    ("pos?", Unary::Pos),
    ("neg?", Unary::Neg),
];

/// The machine-number cases of a unary builtin (None: the builtin decides: overflow into a
/// big integer, NaN, other types, Python numbers).
#[inline(always)]
fn fast_unary(op: Unary, a: &Value) -> Option<Value> {
    match *a {
        Value::Int(x) => Some(match op {
            Unary::Inc => Value::Int(x.checked_add(1)?),
            Unary::Dec => Value::Int(x.checked_sub(1)?),
            Unary::Zero => Value::Bool(x == 0),
            Unary::Pos => Value::Bool(x > 0),
            Unary::Neg => Value::Bool(x < 0),
        }),
        Value::Float(x) if !x.is_nan() => Some(match op {
            Unary::Inc => Value::Float(x + 1.0),
            Unary::Dec => Value::Float(x - 1.0),
            Unary::Zero => Value::Bool(x == 0.0),
            Unary::Pos => Value::Bool(x > 0.0),
            Unary::Neg => Value::Bool(x < 0.0),
        }),
        _ => None,
    }
}

/// `(inc i)`, `(zero? n)`...: a one-argument call whose head is a global holding one of those
/// core builtins when compiled, run inline while the global still holds it.
pub(super) fn specialize_unary(g: &Gen, call: &Call) -> Option<Code> {
    let (id, expected) = core_builtin(g, call, 1)?;
    let op = UNARY.iter().find(|(n, _)| *n == expected.name)?.1;
    let span = call.span;
    let slot = local_slot(g, &call.args[0]);
    let x = g.expr(&call.args[0]);
    Some(Box::new(move |vm, f| {
        let core = matches!(&vm.globals[id], Value::Builtin(now) if std::ptr::eq(*now, expected));
        if core {
            // A local read in place, without cloning it.
            if let Some(v) = slot.and_then(|s| fast_unary(op, &vm.stack[f.base + s])) {
                return Ok(v);
            }
        }
        let a = x(vm, f)?;
        if core {
            if let Some(v) = fast_unary(op, &a) {
                return Ok(v);
            }
        }
        let callee = vm.globals[id].clone();
        if matches!(callee, Value::Unbound) {
            return Err(vm.unbound_error(id, span));
        }
        let base = vm.stack.len();
        vm.stack.push(a);
        vm.invoke(callee, base, span)
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
    if let Some(c) = negation(g, test, call) {
        return Some(c);
    }
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
    let full = specialize(g, call)?;
    // `(< n 2)`: a slot and a constant; `(< y x)`: two slots.
    match (&call.args[1], local_slot(g, &call.args[1])) {
        (Expr::Const(Value::Int(k)), _) => {
            let k = *k;
            Some(Box::new(move |vm, f| {
                if let (Value::Builtin(now), Value::Int(a)) =
                    (&vm.globals[id], &vm.stack[f.base + slot])
                {
                    if std::ptr::eq(*now, expected) {
                        return Ok(cmp(*a, k));
                    }
                }
                Ok(full(vm, f)?.truthy())
            }))
        }
        (_, Some(other)) => Some(Box::new(move |vm, f| {
            if let (Value::Builtin(now), Value::Int(a), Value::Int(b)) = (
                &vm.globals[id],
                &vm.stack[f.base + slot],
                &vm.stack[f.base + other],
            ) {
                if std::ptr::eq(*now, expected) {
                    return Ok(cmp(*a, *b));
                }
            }
            Ok(full(vm, f)?.truthy())
        })),
        _ => None,
    }
}

/// `(not x)` as a test, while the global `not` holds the core builtin: the negation of `x`'s
/// test (itself inline when it can be), with no boolean value made.
fn negation(g: &Gen, test: &Expr, call: &Call) -> Option<Cond> {
    let Expr::Global(id, _) = call.callee else {
        return None;
    };
    if call.args.len() != 1 {
        return None;
    }
    let Value::Builtin(b) = g.vm.globals.get(id)? else {
        return None;
    };
    let expected: &'static Builtin = b;
    let core = &crate::runtime::builtins::core::BUILTINS;
    if expected.name != "not" || !core.iter().any(|x| std::ptr::eq(x, expected)) {
        return None;
    }
    let inner = condition(g, &call.args[0]);
    let value = inner.is_none().then(|| g.expr(&call.args[0]));
    // Whatever `not` names when this runs, if not the builtin.
    let full = g.expr(test);
    Some(Box::new(move |vm, f| {
        let core_now =
            matches!(&vm.globals[id], Value::Builtin(now) if std::ptr::eq(*now, expected));
        let v = if core_now {
            if let Some(c) = &inner {
                return Ok(!c(vm, f)?);
            }
            let x = value.as_ref().expect("a value when there is no inner test")(vm, f)?;
            return Ok(!forced(vm, x)?.truthy());
        } else {
            full(vm, f)?
        };
        Ok(forced(vm, v)?.truthy())
    }))
}

/// A lazy Python chain (or a pending call) run first, as every test does.
fn forced(vm: &mut Vm, v: Value) -> Result<Value, Exn> {
    match v {
        Value::Lazy(_) => vm.force(&v),
        v => Ok(v),
    }
}
