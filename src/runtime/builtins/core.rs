//! Core builtins: printing, strings, predicates, symbols, errors (`throw`, `error-type`,
//! `error-message`).

use super::{def, want};
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::output::Stream;
use crate::runtime::printer::{display, readable};
use crate::runtime::value::{Builtin, BuiltinResult, Value};
use crate::symbol::{gensym_dynamic, intern_dynamic};

pub static BUILTINS: &[Builtin] = &[
    def!(
        "not",
        1,
        Some(1),
        not,
        "True for nil and false, else false."
    ),
    def!(
        "str",
        0,
        None,
        str,
        "The display forms of the arguments, joined (nil adds nothing)."
    ),
    def!(
        "pr-str",
        0,
        None,
        pr_str,
        "The readable forms of the arguments, separated by spaces."
    ),
    super::defvm!(
        "print",
        0,
        None,
        print,
        "Prints the display forms, separated by spaces, without a newline."
    ),
    super::defvm!(
        "println",
        0,
        None,
        println,
        "Prints the display forms (strings unquoted), then a newline."
    ),
    super::defvm!(
        "prn",
        0,
        None,
        prn,
        "Prints the readable forms (strings quoted), then a newline."
    ),
    def!(
        "type-of",
        1,
        Some(1),
        type_of,
        "The type's name as a string: \"int\", \"string\", \"vector\", ..."
    ),
    def!(
        "gensym",
        0,
        Some(1),
        gensym,
        "A fresh symbol that no other code uses (for macros)."
    ),
    def!("symbol", 1, Some(1), symbol, "The symbol with this name."),
    def!(
        "keyword",
        1,
        Some(1),
        keyword,
        "The keyword with this name (without the colon)."
    ),
    def!(
        "name",
        1,
        Some(1),
        name,
        "The name of a symbol or keyword (or a string itself)."
    ),
    def!("identity", 1, Some(1), identity, "Its argument."),
    super::defvm!("%with-worker", 2, Some(2), with_worker, "Internal (with-worker): calls the function with its Python calls pinned to the worker."),
    def!(
        "throw",
        1,
        Some(1),
        throw,
        "Raises an error: (throw \"message\"), or re-raises a caught error.",
        host = crate::runtime::value::HostArgs::First(crate::runtime::value::HostOp::Throw)
    ),
    def!(
        "error-type",
        1,
        Some(1),
        error_type,
        "The class name of a caught error (\"ValueError\", \"ZeroDivisionError\", ...)."
    ),
    def!(
        "error-message",
        1,
        Some(1),
        error_message,
        "The message of a caught error."
    ),
    def!(
        "error-data",
        1,
        Some(1),
        error_data,
        "What was thrown, when (throw v) threw something other than a message."
    ),
    def!(
        "subs",
        2,
        Some(3),
        subs,
        "(subs s start end?): the characters from start up to end."
    ),
    def!(
        "join",
        1,
        Some(2),
        join,
        "(join coll) or (join separator coll): the display forms joined.",
        host = crate::runtime::value::HostArgs::Items(&[0], crate::runtime::value::Pull::All)
    ),
    def!(
        "split",
        2,
        Some(2),
        split,
        "(split s separator): a vector of the parts."
    ),
    def!(
        "upper-case",
        1,
        Some(1),
        upper_case,
        "The string in upper case."
    ),
    def!(
        "lower-case",
        1,
        Some(1),
        lower_case,
        "The string in lower case."
    ),
    def!(
        "trim",
        1,
        Some(1),
        trim,
        "The string without surrounding white space."
    ),
    def!("nil?", 1, Some(1), is_nil, "Is it nil?"),
    def!("some?", 1, Some(1), is_some, "Is it anything but nil?"),
    def!("true?", 1, Some(1), is_true, "Is it exactly true?"),
    def!("false?", 1, Some(1), is_false, "Is it exactly false?"),
    def!("number?", 1, Some(1), is_number, "Is it an int or a float?"),
    def!("int?", 1, Some(1), is_int, "Is it an int (of any size)?"),
    def!("float?", 1, Some(1), is_float, "Is it a float?"),
    def!("string?", 1, Some(1), is_string, "Is it a string?"),
    def!("symbol?", 1, Some(1), is_symbol, "Is it a symbol?"),
    def!("keyword?", 1, Some(1), is_keyword, "Is it a keyword?"),
    def!("list?", 1, Some(1), is_list, "Is it a list?"),
    def!("vector?", 1, Some(1), is_vector, "Is it a vector?"),
    def!("map?", 1, Some(1), is_map, "Is it a map?"),
    def!("fn?", 1, Some(1), is_fn, "Is it a function?"),
    def!("bool?", 1, Some(1), is_bool, "Is it true or false?"),
    def!("error?", 1, Some(1), is_error, "Is it a caught error?"),
    super::defvm!(
        "destructure-seq",
        3,
        Some(3),
        destructure_seq,
        "(destructure-seq coll n rest?): a vector of the first n items of coll (nil where it is shorter), then, when rest? is true, the rest as a list (nil when empty). What vector patterns expand into."
    ),
    def!(
        "now-ns",
        0,
        Some(0),
        now_ns,
        "Nanoseconds on a monotonic clock since the process started (0 where there is no clock, as on wasm32): for measuring time, as `time` does."
    ),
    def!(
        "syntax-error",
        1,
        Some(1),
        raise_syntax_error,
        "(syntax-error \"message\"): raises a SyntaxError (for macros that reject their input)."
    ),
    super::defvm!("doc", 1, Some(1), doc, "(doc 'name): the docstring of a builtin, or of a def/defn/defmacro that has one; nil otherwise."),
];

fn doc(vm: &mut crate::runtime::Vm, args: Vec<Value>) -> BuiltinResult {
    let Value::Symbol(name) = &args[0] else {
        return Err(want("doc", "a quoted symbol, as in (doc 'map)", &args[0]));
    };
    if let Some(d) = vm.doc(name.sym()) {
        return Ok(Value::str(d));
    }
    Ok(match vm.global_value(name.sym()) {
        Some(Value::Builtin(b)) => Value::str(b.doc),
        _ => Value::Nil,
    })
}

fn not(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(!args[0].truthy()))
}

fn str(args: &[Value]) -> BuiltinResult {
    let mut out = String::new();
    for a in args {
        if !matches!(a, Value::Nil) {
            out.push_str(&display(a));
        }
    }
    Ok(Value::str(&out))
}

fn joined(args: &[Value], form: fn(&Value) -> String) -> String {
    args.iter().map(form).collect::<Vec<_>>().join(" ")
}

fn pr_str(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(&joined(args, readable)))
}

/// `print`, `println` and `prn` write to the engine's output sink; a failed write (a closed
/// pipe, a full disk) is an `OSError`, so a printing loop stops.
fn emit(vm: &mut crate::runtime::Vm, text: &str) -> BuiltinResult {
    // Where the host's stdout has been redirected (`contextlib.redirect_stdout`), the Lisp's
    // printing follows it.
    let host = vm.host.clone();
    if let Some(r) = host.write_stdout(vm, text) {
        return r.map(|_| Value::Nil);
    }
    vm.out.write(Stream::Stdout, text);
    match vm.out.error() {
        None => Ok(Value::Nil),
        Some(e) => Err(LispError::new(
            ErrorKind::Io,
            format!("cannot write to standard output: {e}"),
        )),
    }
}

fn print(vm: &mut crate::runtime::Vm, args: Vec<Value>) -> BuiltinResult {
    emit(vm, &joined(&args, display))
}

fn println(vm: &mut crate::runtime::Vm, args: Vec<Value>) -> BuiltinResult {
    emit(vm, &(joined(&args, display) + "\n"))
}

fn prn(vm: &mut crate::runtime::Vm, args: Vec<Value>) -> BuiltinResult {
    emit(vm, &(joined(&args, readable) + "\n"))
}

fn type_of(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(&args[0].type_name()))
}

fn gensym(args: &[Value]) -> BuiltinResult {
    let prefix = match args.first() {
        None => "G".to_string(),
        Some(v) => display(v),
    };
    Ok(Value::Symbol(gensym_dynamic(&prefix)))
}

fn text_arg(v: &Value, op: &str) -> Result<String, Exn> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        Value::Symbol(s) | Value::Keyword(s) => Ok(s.name().to_string()),
        other => Err(want(op, "a string", other)),
    }
}

fn symbol(args: &[Value]) -> BuiltinResult {
    Ok(Value::Symbol(intern_dynamic(&text_arg(
        &args[0], "symbol",
    )?)))
}

fn keyword(args: &[Value]) -> BuiltinResult {
    let t = text_arg(&args[0], "keyword")?;
    Ok(Value::Keyword(intern_dynamic(
        t.strip_prefix(':').unwrap_or(&t),
    )))
}

fn name(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(&text_arg(&args[0], "name")?))
}

fn identity(args: &[Value]) -> BuiltinResult {
    Ok(args[0].clone())
}

/// `(with-worker n ...)`: the body (a function of no arguments) with its Python calls pinned to
/// worker `n` (an integer from 0, below the number of workers); in-process, it simply runs.
fn with_worker(vm: &mut crate::runtime::Vm, args: Vec<Value>) -> BuiltinResult {
    let n = match &args[0] {
        Value::Int(n) if *n >= 0 => *n as usize,
        Value::Int(n) => {
            return Err(LispError::new(
                ErrorKind::Value,
                format!("with-worker: worker numbers start at 0, not {n}"),
            ))
        }
        other => {
            return Err(want(
                "with-worker",
                "a worker number (an integer from 0)",
                other,
            ))
        }
    };
    let host = vm.host.clone();
    let Some(count) = host.worker_count() else {
        return vm.apply(&args[1], vec![]);
    };
    if n >= count {
        return Err(LispError::new(
            ErrorKind::Value,
            format!(
                "with-worker: there {} (0 to {}), so there is no worker {n} (--workers sets how many)",
                if count == 1 { "is 1 worker".to_string() } else { format!("are {count} workers") },
                count - 1
            ),
        ));
    }
    let outer = host.pin_worker(Some(n));
    let r = vm.apply(&args[1], vec![]);
    host.pin_worker(outer);
    r
}

/// `(throw x)`; a Python exception (or exception class) is raised as itself by the host.
fn throw(args: &[Value]) -> BuiltinResult {
    Err(match &args[0] {
        Value::Error(e) => Box::new((**e).clone()),
        Value::Str(s) => LispError::new(ErrorKind::Thrown, s.as_str()),
        other => {
            let mut e = LispError::new(ErrorKind::Thrown, readable(other));
            e.payload = Some(other.clone());
            e
        }
    })
}

fn error_arg<'a>(v: &'a Value, op: &str) -> Result<&'a LispError, Exn> {
    match v {
        Value::Error(e) => Ok(e),
        other => Err(want(op, "a caught error", other)),
    }
}

fn error_type(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(
        error_arg(&args[0], "error-type")?.kind.type_name(),
    ))
}

fn error_message(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(&error_arg(&args[0], "error-message")?.message))
}

fn error_data(args: &[Value]) -> BuiltinResult {
    Ok(error_arg(&args[0], "error-data")?
        .payload
        .clone()
        .unwrap_or_default())
}

fn str_arg<'a>(v: &'a Value, op: &str) -> Result<&'a str, Exn> {
    match v {
        Value::Str(s) => Ok(s.as_str()),
        other => Err(want(op, "a string", other)),
    }
}

fn subs(args: &[Value]) -> BuiltinResult {
    let s = str_arg(&args[0], "subs")?;
    let chars: Vec<char> = s.chars().collect();
    let idx = |v: &Value| match v {
        Value::Int(i) if *i >= 0 && (*i as usize) <= chars.len() => Ok(*i as usize),
        other => Err(LispError::new(
            ErrorKind::Index,
            format!(
                "`subs` index {} is out of range for a string of {} characters",
                readable(other),
                chars.len()
            ),
        )),
    };
    let start = idx(&args[1])?;
    let end = match args.get(2) {
        Some(e) => idx(e)?,
        None => chars.len(),
    };
    if start > end {
        return Err(LispError::new(
            ErrorKind::Index,
            format!("`subs` start {start} is after end {end}"),
        ));
    }
    Ok(Value::str(&chars[start..end].iter().collect::<String>()))
}

fn join(args: &[Value]) -> BuiltinResult {
    let (sep, coll) = match args.len() {
        1 => (String::new(), &args[0]),
        _ => (display(&args[0]), &args[1]),
    };
    let parts: Vec<String> = super::seq::items(coll, "join")?
        .iter()
        .map(display)
        .collect();
    Ok(Value::str(&parts.join(&sep)))
}

fn split(args: &[Value]) -> BuiltinResult {
    let s = str_arg(&args[0], "split")?;
    let sep = str_arg(&args[1], "split")?;
    if sep.is_empty() {
        return Err(LispError::new(
            ErrorKind::Value,
            "`split` separator is empty",
        ));
    }
    Ok(Value::vector(s.split(sep).map(Value::str).collect()))
}

fn upper_case(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(&str_arg(&args[0], "upper-case")?.to_uppercase()))
}

fn lower_case(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(&str_arg(&args[0], "lower-case")?.to_lowercase()))
}

fn trim(args: &[Value]) -> BuiltinResult {
    Ok(Value::str(str_arg(&args[0], "trim")?.trim()))
}

macro_rules! predicate {
    ($($f:ident => $pat:pat),* $(,)?) => {
        $(fn $f(args: &[Value]) -> BuiltinResult {
            Ok(Value::Bool(matches!(&args[0], $pat)))
        })*
    };
}

predicate! {
    is_nil => Value::Nil,
    is_true => Value::Bool(true),
    is_false => Value::Bool(false),
    is_number => Value::Int(_) | Value::Big(_) | Value::Float(_),
    is_int => Value::Int(_) | Value::Big(_),
    is_float => Value::Float(_),
    is_string => Value::Str(_),
    is_symbol => Value::Symbol(_),
    is_keyword => Value::Keyword(_),
    is_list => Value::List(_),
    is_vector => Value::Vector(_),
    is_map => Value::Map(_),
    is_fn => Value::Func(_) | Value::Builtin(_),
    is_bool => Value::Bool(_),
    is_error => Value::Error(_),
}

fn is_some(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(!matches!(&args[0], Value::Nil)))
}

fn destructure_seq(vm: &mut crate::runtime::Vm, args: Vec<Value>) -> BuiltinResult {
    let n = match &args[1] {
        Value::Int(n) if *n >= 0 => *n as usize,
        other => return Err(want("destructure-seq", "a count", other)),
    };
    let with_rest = args[2].truthy();
    let mut out = Vec::with_capacity(n + 1);
    let rest = match &args[0] {
        Value::List(l) => {
            let mut cur = l.clone();
            for _ in 0..n {
                out.push(cur.first().cloned().unwrap_or_default());
                cur = cur.rest();
            }
            Value::List(cur)
        }
        v @ (Value::Host(_) | Value::Lazy(_)) => {
            let (host, span) = (vm.host.clone(), vm.call_span);
            let limit = if with_rest { None } else { Some(n) };
            let mut items = host.items(vm, v, limit, span)?.into_iter();
            out.extend(items.by_ref().take(n));
            Value::list(items.collect())
        }
        Value::Nil | Value::Vector(_) | Value::Str(_) | Value::Map(_) | Value::Array(_) => {
            let mut items = super::seq::items(&args[0], "destructure")?.into_iter();
            out.extend(items.by_ref().take(n));
            if with_rest {
                Value::list(items.collect())
            } else {
                Value::Nil
            }
        }
        other => {
            return Err(crate::runtime::error::type_error(format!(
                "cannot destructure {} with a vector pattern: it needs a sequence",
                crate::runtime::printer::type_and_preview(other)
            )))
        }
    };
    out.resize(n, Value::Nil);
    if with_rest {
        out.push(match &rest {
            Value::List(l) if l.is_empty() => Value::Nil,
            _ => rest,
        });
    }
    Ok(Value::vector(out))
}

fn now_ns(_args: &[Value]) -> BuiltinResult {
    static START: std::sync::OnceLock<crate::clock::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(crate::clock::Instant::now);
    let ns = crate::clock::Instant::now()
        .duration_since(start)
        .as_nanos();
    Ok(Value::Int(i64::try_from(ns).unwrap_or(i64::MAX)))
}

fn raise_syntax_error(args: &[Value]) -> BuiltinResult {
    Err(LispError::new(ErrorKind::Syntax, display(&args[0])))
}
