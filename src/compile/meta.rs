//! Running a form end to end (analyze, compile, invoke), and the builtins that need the whole
//! pipeline at run time: `eval`, `macroexpand`, `macroexpand-1`, `read-string`.
//! They live here rather than in `runtime` so that imports keep pointing one way.

use super::compile;
use crate::reader::{self, Datum};
use crate::runtime::builtins::{def, defvm, want};
use crate::runtime::error::{Exn, LispError};
use crate::runtime::value::{Builtin, BuiltinResult, Closure, Value};
use crate::runtime::Vm;
use crate::syntax::convert::{datum_to_value, value_to_datum};
use crate::syntax::{analyze, macroexpand_1};
use std::rc::Rc;

/// Analyzes, compiles and runs one top-level form.
pub fn run_form(vm: &mut Vm, form: &Datum) -> Result<Value, Exn> {
    let analysis = analyze(vm, form)?;
    let proto = compile(&analysis, vm);
    let thunk = Value::Func(Rc::new(Closure {
        proto,
        captures: Box::new([]),
    }));
    let base = vm.stack.len();
    let saved_depth = vm.depth;
    let r = vm.invoke(thunk, base, form.span);
    vm.stack.truncate(base);
    vm.depth = saved_depth;
    vm.tail = None;
    vm.recur = false;
    r
}

pub static BUILTINS: &[Builtin] = &[
    defvm!("eval", 1, Some(1), eval, "Evaluates a form (data) as code."),
    defvm!(
        "macroexpand-1",
        1,
        Some(1),
        macroexpand_once,
        "Expands the form once if it is a macro call."
    ),
    defvm!(
        "macroexpand",
        1,
        Some(1),
        macroexpand,
        "Expands the form until its head is no longer a macro."
    ),
    def!(
        "read-string",
        1,
        Some(1),
        read_string,
        "The first form read from the string, as data."
    ),
];

pub fn install(vm: &mut Vm) {
    for b in BUILTINS {
        vm.define(b.name, Value::Builtin(b));
    }
}

fn as_code(vm: &Vm, v: &Value) -> Result<Datum, Exn> {
    value_to_datum(v, vm.call_span, &|_| None, 0)
}

fn eval(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let form = as_code(vm, &args[0])?;
    let saved = vm.stack.len();
    let r = run_form(vm, &form);
    vm.stack.truncate(saved);
    r
}

fn macroexpand_once(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let form = as_code(vm, &args[0])?;
    Ok(datum_to_value(&macroexpand_1(vm, &form)?.0))
}

fn macroexpand(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let mut form = as_code(vm, &args[0])?;
    for _ in 0..1000 {
        let (next, expanded) = macroexpand_1(vm, &form)?;
        if !expanded {
            return Ok(datum_to_value(&next));
        }
        form = next;
    }
    Err(crate::runtime::error::syntax_error(
        "macro expansion does not end (1000 steps)",
        vm.call_span,
    ))
}

fn read_string(args: &[Value]) -> BuiltinResult {
    let Value::Str(s) = &args[0] else {
        return Err(want("read-string", "a string", &args[0]));
    };
    // Data read at run time makes symbols that are freed with the values (see `symbol`).
    let read = crate::symbol::reading_data(|| {
        let mut p = reader::Parser::new(s, crate::source::SourceId(u32::MAX));
        p.next_form().map(|d| d.map(|d| datum_to_value(&d)))
    });
    match read {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Ok(Value::Nil),
        Err(e) => {
            let msg = e.to_string();
            Err(LispError::new(
                crate::runtime::error::ErrorKind::Value,
                format!("read-string: {msg}"),
            ))
        }
    }
}
