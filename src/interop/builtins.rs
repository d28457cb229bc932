//! Builtins for Python interop: `$py py-eval py-exec ->lisp ->py py-handles await py-call` and
//! `as-nd`. The engine installs them when it has a Python backend; each reaches the engine's
//! [`Interop`] through the VM's host.

use super::Interop;
use crate::bridge::ir::{ResultMode, Step, WireValue};
use crate::runtime::builtins::arrays::as_nd_args;
use crate::runtime::builtins::{defvm, want};
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::host::Lazy;
use crate::runtime::value::{Builtin, BuiltinResult, Value};
use crate::runtime::Vm;
use std::rc::Rc;

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
    defvm!(
        "py-iterator?",
        1,
        Some(1),
        is_iterator,
        "Is it a Python iterator (single-pass: a generator, itertools.count, a file)?"
    ),
    defvm!(
        "slice",
        0,
        Some(3),
        slice,
        "(slice start stop step): a Python slice, nil for an omitted part; (slice) is `:`."
    ),
    defvm!(
        "as-nd",
        3,
        Some(3),
        as_nd,
        "(as-nd a shape dtype): a NumPy array sharing a's memory (no copy)."
    ),
];

/// The engine's interop, behind the VM's host (an error when the engine has none).
pub(super) fn interop(vm: &Vm) -> Result<Rc<Interop>, Exn> {
    Interop::of(vm).ok_or_else(|| {
        LispError::new(
            ErrorKind::Host("PythonUnavailable".into()),
            "this engine has no Python backend",
        )
    })
}

fn text<'a>(v: &'a Value, op: &str) -> Result<&'a str, Exn> {
    match v {
        Value::Str(s) => Ok(s.as_str()),
        other => Err(want(op, "a string", other)),
    }
}

fn py_import(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    Ok(Lazy::import(
        vm.host.clone(),
        text(&args[0], "$py")?,
        vm.call_span,
    ))
}

fn py_eval(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let src = text(&args[0], "py-eval")?.to_string();
    let span = vm.call_span;
    interop(vm)?.run(vm, vec![Step::Eval(src)], &[span], ResultMode::Auto)
}

fn py_exec(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let src = text(&args[0], "py-exec")?.to_string();
    let span = vm.call_span;
    interop(vm)?.run(vm, vec![Step::Exec(src)], &[span], ResultMode::Auto)
}

fn to_lisp(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    // A lone ndarray comes back as a typed array over its memory (`Deep` keeps it shared).
    if !args[0].is_host() {
        return Ok(args[0].clone());
    }
    let span = vm.call_span;
    interop(vm)?.unary(vm, &args[0], Step::ToLisp, ResultMode::Deep, span)
}

fn to_py(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    if let Value::Host(_) = &args[0] {
        return Ok(args[0].clone());
    }
    let span = vm.call_span;
    interop(vm)?.unary(vm, &args[0], Step::AsHandle, ResultMode::Handle, span)
}

fn py_handles(vm: &mut Vm, _args: Vec<Value>) -> BuiltinResult {
    Ok(Value::Int(
        Interop::of(vm).map_or(0, |i| i.live_handles()) as i64
    ))
}

fn await_value(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    if !args[0].is_host() {
        return Ok(args[0].clone());
    }
    let span = vm.call_span;
    interop(vm)?.unary(vm, &args[0], Step::Await, ResultMode::Auto, span)
}

fn py_call(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let span = vm.call_span;
    interop(vm)?.call_value(vm, &args[0], &args[1..], span)
}

fn is_iterator(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    if !args[0].is_host() {
        return Ok(Value::Bool(false));
    }
    let host = vm.host.clone();
    host.is_iterator(vm, &args[0]).map(Value::Bool)
}

/// `(slice)`, `(slice start)`, `(slice start stop)`, `(slice start stop step)`: Python's
/// `slice(start, stop, step)` with the omitted parts `None`.
fn slice(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let span = vm.call_span;
    let i = interop(vm)?;
    let mut parts = args;
    parts.resize(3, Value::Nil);
    let f = Lazy::attr(
        &vm.host,
        Lazy::import(vm.host.clone(), "builtins", span),
        vec!["slice".into()],
        span,
    );
    i.call_value(vm, &f, &parts, span)
}

/// Python's builtins bound under their own names where the Lisp has none (`int`, `float`,
/// `str` and `list` are Lisp builtins that mean Python's when passed to Python).
pub const PYTHON_GLOBALS: &[&str] = &["bool", "dict", "set", "tuple", "Ellipsis"];

/// `(as-nd a shape dtype)`: an ndarray of that shape over the array's memory.
fn as_nd(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let (buffer, shape) = as_nd_args(&args)?;
    let span = vm.call_span;
    let i = interop(vm)?;
    let array = i
        .backend()
        .map_err(|e| e.at(span))?
        .lend_buffer(&buffer, Some(shape));
    i.run(
        vm,
        vec![Step::AsHandle(WireValue::Array(array))],
        &[span],
        ResultMode::Handle,
    )
}
