//! The builtin functions, grouped by topic. Each is a static [`Builtin`] (name, arity, function,
//! one-line doc) so the table can be listed (`:doc`, completion) and looked up by name.

pub mod arrays;
pub mod core;
pub mod format;
pub mod lazyseq;
pub mod numeric;
pub mod seq;

use crate::runtime::error::{type_error, Exn};
use crate::runtime::printer::type_and_preview;
use crate::runtime::value::{Builtin, Value};
use crate::runtime::Vm;

/// A builtin that borrows its arguments; `host = ...` declares how it takes host values.
macro_rules! def {
    ($name:literal, $min:expr, $max:expr, $f:expr, $doc:literal) => {
        def!(
            $name,
            $min,
            $max,
            $f,
            $doc,
            host = $crate::runtime::value::HostArgs::None
        )
    };
    ($name:literal, $min:expr, $max:expr, $f:expr, $doc:literal, host = $host:expr) => {
        $crate::runtime::value::Builtin {
            name: $name,
            min_args: $min,
            max_args: $max,
            f: $crate::runtime::value::BuiltinFn::Pure($f),
            doc: $doc,
            host: $host,
        }
    };
}

/// A builtin that may call back into the VM.
macro_rules! defvm {
    ($name:literal, $min:expr, $max:expr, $f:expr, $doc:literal) => {
        $crate::runtime::builtins::defvm!(
            $name,
            $min,
            $max,
            $f,
            $doc,
            host = $crate::runtime::value::HostArgs::None
        )
    };
    ($name:literal, $min:expr, $max:expr, $f:expr, $doc:literal, host = $host:expr) => {
        $crate::runtime::value::Builtin {
            name: $name,
            min_args: $min,
            max_args: $max,
            f: $crate::runtime::value::BuiltinFn::WithVm($f),
            doc: $doc,
            host: $host,
        }
    };
}

pub(crate) use def;
pub(crate) use defvm;

/// The core builtins, registered at start-up (the engine adds `eval`, `macroexpand` and the
/// Python interop builtins on top).
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    numeric::BUILTINS
        .iter()
        .chain(seq::BUILTINS)
        .chain(lazyseq::BUILTINS)
        .chain(core::BUILTINS)
        .chain(format::BUILTINS)
        .chain(arrays::tables().into_iter().flatten())
}

pub fn lookup(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

pub fn install(vm: &mut Vm) {
    for b in all() {
        vm.define(b.name, Value::Builtin(b));
    }
}

/// "`op` needs X, got the string \"abc\"".
pub fn want(op: &str, what: &str, got: &Value) -> Exn {
    type_error(format!(
        "`{op}` needs {what}, got {}",
        type_and_preview(got)
    ))
}

/// Ordering for `sort`: numbers with numbers, strings with strings, vectors element-wise.
pub fn compare(a: &Value, b: &Value) -> Result<std::cmp::Ordering, Exn> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Keyword(x), Value::Keyword(y)) | (Value::Symbol(x), Value::Symbol(y)) => {
            Ok(x.name().cmp(&y.name()))
        }
        (Value::Vector(_) | Value::List(_), Value::Vector(_) | Value::List(_)) => {
            let (xs, ys) = (
                a.as_seq().unwrap_or_default(),
                b.as_seq().unwrap_or_default(),
            );
            for (x, y) in xs.iter().zip(&ys) {
                let o = compare(x, y)?;
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            Ok(xs.len().cmp(&ys.len()))
        }
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        (x, y) if x.is_number() && y.is_number() => {
            let lt = numeric_lt(x, y)?;
            let gt = numeric_lt(y, x)?;
            Ok(if lt {
                Ordering::Less
            } else if gt {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        _ => Err(type_error(format!(
            "cannot compare {} with {}",
            type_and_preview(a),
            type_and_preview(b)
        ))),
    }
}

fn numeric_lt(a: &Value, b: &Value) -> Result<bool, Exn> {
    numeric::less_than(a, b)
}
