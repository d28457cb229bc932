//! Builtins for Python interop (`$py py-eval py-exec ->lisp ->py py-handles await`), and Python
//! values flowing through the Lisp sequence builtins: `(take 5 iterable)` pulls five items,
//! `(get obj key)` is `obj[key]`, `(count obj)` counts its items.

use super::{call, force, import, items, live_handles, run, unary};
use crate::bridge::ir::{ResultMode, Step, WireValue};
use crate::runtime::builtins::{defvm, want};
use crate::runtime::error::{Exn, LispError};
use crate::runtime::value::{Builtin, BuiltinResult, Value};
use crate::runtime::Vm;

pub static BUILTINS: &[Builtin] = &[
    defvm!(
        "$py",
        1,
        Some(1),
        py_import,
        "The Python module of that name (imported once, cached): ($py \"numpy\")."
    ),
    defvm!(
        "py-eval",
        1,
        Some(1),
        py_eval,
        "Evaluates a Python expression in the shared namespace."
    ),
    defvm!(
        "py-exec",
        1,
        Some(1),
        py_exec,
        "Executes Python statements in the shared namespace; nil."
    ),
    defvm!(
        "->lisp",
        1,
        Some(1),
        to_lisp,
        "Deep conversion: list/tuple → vector, dict → map, scalars by value."
    ),
    defvm!(
        "->py",
        1,
        Some(1),
        to_py,
        "The value as a Python object handle."
    ),
    defvm!(
        "py-handles",
        0,
        Some(0),
        py_handles,
        "How many Python handles the Lisp side holds."
    ),
    defvm!(
        "await",
        1,
        Some(1),
        await_value,
        "Runs a Python awaitable (coroutine) to completion; other values as they are."
    ),
    defvm!(
        "py-call",
        1,
        None,
        py_call,
        "(py-call f args...): calls a Python callable (also with :key value pairs)."
    ),
];

fn text<'a>(v: &'a Value, op: &str) -> Result<&'a str, Exn> {
    match v {
        Value::Str(s) => Ok(s.as_str()),
        other => Err(want(op, "a string", other)),
    }
}

fn py_import(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    Ok(import(text(&args[0], "$py")?, vm.call_span))
}

fn py_eval(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let src = text(&args[0], "py-eval")?.to_string();
    let span = vm.call_span;
    run(vm, vec![Step::Eval(src)], &[span], ResultMode::Auto)
}

fn py_exec(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let src = text(&args[0], "py-exec")?.to_string();
    let span = vm.call_span;
    run(vm, vec![Step::Exec(src)], &[span], ResultMode::Auto)
}

fn to_lisp(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    // A lone ndarray comes back as a typed array over its memory (`Deep` keeps it shared).
    if !args[0].is_py() {
        return Ok(args[0].clone());
    }
    let span = vm.call_span;
    unary(vm, &args[0], Step::ToLisp, ResultMode::Deep, span)
}

fn to_py(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    if let Value::Py(_) = &args[0] {
        return Ok(args[0].clone());
    }
    let span = vm.call_span;
    unary(vm, &args[0], Step::AsHandle, ResultMode::Handle, span)
}

fn py_handles(_vm: &mut Vm, _args: Vec<Value>) -> BuiltinResult {
    Ok(Value::Int(live_handles() as i64))
}

fn await_value(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    if !args[0].is_py() {
        return Ok(args[0].clone());
    }
    let span = vm.call_span;
    unary(vm, &args[0], Step::Await, ResultMode::Auto, span)
}

fn py_call(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let span = vm.call_span;
    call(vm, &args[0], &args[1..], span)
}

/// `(get obj key default?)` on a Python object: `obj[key]`, or the default on
/// KeyError/IndexError when one is given.
fn py_get(vm: &mut Vm, args: &[Value]) -> BuiltinResult {
    let span = vm.call_span;
    let mut steps = Vec::new();
    let mut spans = Vec::new();
    let target = super::to_wire(vm, &args[0], &mut steps, &mut spans, span)?;
    let key = super::to_wire(vm, &args[1], &mut steps, &mut spans, span)?;
    steps.push(Step::GetItem(target, key));
    spans.push(span);
    match run(vm, steps, &spans, ResultMode::Auto) {
        Err(e) if args.len() == 3 && super::is_instance(&e, "LookupError") => Ok(args[2].clone()),
        r => r,
    }
}

/// Sequence builtins that take a collection argument, and where it is.
fn collection_args(name: &str) -> &'static [usize] {
    match name {
        "first" | "rest" | "next" | "last" | "count" | "vec" | "reverse" | "sort" | "empty?"
        | "nth" | "join" => &[0],
        "take" | "drop" | "cons" => &[1],
        "concat" | "zip" => &[0, 1, 2, 3, 4, 5, 6, 7],
        _ => &[],
    }
}

/// A pure builtin called with a Python argument: converts Python iterables where the builtin
/// wants a collection (pulling only what `take` and `first` need). `None`: nothing to do.
pub fn pure_with_py(vm: &mut Vm, b: &'static Builtin, args: &[Value]) -> Option<BuiltinResult> {
    if b.name == "get" && args.first().is_some_and(Value::is_py) {
        return Some(py_get(vm, args));
    }
    let positions = collection_args(b.name);
    if positions.is_empty() {
        return None;
    }
    let limit = match b.name {
        "first" | "empty?" => Some(1),
        "take" => match args.first() {
            Some(Value::Int(n)) => Some((*n).max(0) as usize),
            _ => None,
        },
        _ => None,
    };
    let mut converted = args.to_vec();
    for &i in positions {
        if let Some(v) = args.get(i).filter(|v| v.is_py()) {
            let span = vm.call_span;
            match items(vm, v, limit, span) {
                Ok(xs) => converted[i] = Value::vector(xs),
                Err(e) => return Some(Err(e)),
            }
        }
    }
    let crate::runtime::value::BuiltinFn::Pure(f) = b.f else {
        return None;
    };
    Some(f(&converted))
}

/// The items of a collection or a Python iterable, for builtins that have the VM.
pub fn seq_items(vm: &mut Vm, v: &Value, op: &str) -> Result<Vec<Value>, Exn> {
    if v.is_py() {
        let span = vm.call_span;
        return items(vm, v, None, span);
    }
    crate::runtime::builtins::seq::items(v, op)
}

/// The value of a lazy chain, for code that needs a concrete value.
pub fn concrete(vm: &mut Vm, v: &Value) -> Result<Value, Exn> {
    force(vm, v)
}

#[allow(dead_code)]
fn unused(_: WireValue, _: LispError) {}
