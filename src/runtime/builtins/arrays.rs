//! Typed arrays: `float32array` ... `uint64array`, `aget`, `aset!`, `alength`, and the checks of
//! `as-nd` (which the interop layer uses to hand the array to NumPy without copying).

use super::{defvm, want};
use crate::buffer::{DType, Elem, SharedBuffer};
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::value::{Builtin, BuiltinResult, Value};
use crate::runtime::Vm;
use num_traits::ToPrimitive;
use std::rc::Rc;

macro_rules! constructors {
    ($($name:literal => $f:ident, $dtype:expr;)*) => {
        $(fn $f(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
            make(vm, &args[0], $dtype, $name)
        })*
        const CONSTRUCTORS: &[Builtin] = &[
            $(defvm!($name, 1, Some(1), $f, "(NAME [items]) a typed array of these items; (NAME n) n zeros."),)*
        ];
    };
}

constructors! {
    "float32array" => float32array, DType::F32;
    "float64array" => float64array, DType::F64;
    "int8array" => int8array, DType::I8;
    "int16array" => int16array, DType::I16;
    "int32array" => int32array, DType::I32;
    "int64array" => int64array, DType::I64;
    "uint8array" => uint8array, DType::U8;
    "uint16array" => uint16array, DType::U16;
    "uint32array" => uint32array, DType::U32;
    "uint64array" => uint64array, DType::U64;
}

pub static BUILTINS: &[Builtin] = &[
    defvm!(
        "aget",
        2,
        Some(2),
        aget,
        "(aget a i): element i of a typed array."
    ),
    defvm!(
        "aset!",
        3,
        Some(3),
        aset,
        "(aset! a i v): stores v at index i; returns v."
    ),
    defvm!(
        "alength",
        1,
        Some(1),
        alength,
        "Number of elements of a typed array."
    ),
    defvm!("array?", 1, Some(1), is_array, "Is it a typed array?"),
];

pub fn tables() -> [&'static [Builtin]; 2] {
    [CONSTRUCTORS, BUILTINS]
}

/// A Lisp number as an element.
pub fn elem(v: &Value) -> Option<Elem> {
    match v {
        Value::Int(i) => Some(Elem::Int(*i as i128)),
        Value::Big(b) => b.to_i128().map(Elem::Int),
        Value::Float(f) => Some(Elem::Float(*f)),
        Value::Bool(b) => Some(Elem::Int(i128::from(*b))),
        _ => None,
    }
}

/// An element as a Lisp number.
pub fn elem_value(e: Elem) -> Value {
    match e {
        Elem::Int(i) => match i64::try_from(i) {
            Ok(x) => Value::Int(x),
            Err(_) => Value::from_bigint(num_bigint::BigInt::from(i)),
        },
        Elem::Float(f) => Value::Float(f),
    }
}

fn make(vm: &mut Vm, init: &Value, dtype: DType, name: &str) -> BuiltinResult {
    if let Value::Int(n) = init {
        if *n < 0 {
            return Err(LispError::new(
                ErrorKind::Value,
                format!("`{name}` length must not be negative"),
            ));
        }
        let n = usize::try_from(*n).map_err(|_| too_large(name, &n.to_string()))?;
        return Ok(Value::Array(Rc::new(alloc(dtype, n, name)?)));
    }
    if let Value::Big(b) = init {
        return Err(if b.sign() == num_bigint::Sign::Minus {
            LispError::new(
                ErrorKind::Value,
                format!("`{name}` length must not be negative"),
            )
        } else {
            too_large(name, &b.to_string())
        });
    }
    let items = vm.seq_items(init, name)?;
    let buf = alloc(dtype, items.len(), name)?;
    for (i, v) in items.iter().enumerate() {
        let e = elem(v).ok_or_else(|| want(name, "numbers", v))?;
        buf.set(i, e)
            .map_err(|m| LispError::new(ErrorKind::Value, format!("`{name}` item {i}: {m}")))?;
    }
    Ok(Value::Array(Rc::new(buf)))
}

/// A zeroed buffer, or a catchable `MemoryError` when it cannot be allocated.
fn alloc(dtype: DType, n: usize, name: &str) -> Result<SharedBuffer, Exn> {
    SharedBuffer::try_zeroed(dtype, n).map_err(|e| {
        LispError::new(ErrorKind::Memory, format!("`{name}`: {e}"))
            .with_help("ask for fewer elements")
    })
}

fn too_large(name: &str, n: &str) -> Box<LispError> {
    LispError::new(
        ErrorKind::Memory,
        format!("`{name}`: cannot allocate an array of {n} elements"),
    )
}

fn array<'a>(v: &'a Value, op: &str) -> Result<&'a Rc<SharedBuffer>, Exn> {
    match v {
        Value::Array(b) => Ok(b),
        other => Err(want(op, "a typed array", other)),
    }
}

fn index(v: &Value, b: &SharedBuffer, op: &str) -> Result<usize, Exn> {
    match v {
        Value::Int(i) if *i >= 0 && (*i as usize) < b.len() => Ok(*i as usize),
        Value::Int(i) => Err(LispError::new(
            ErrorKind::Index,
            format!(
                "`{op}` index {i} out of range for an array of {} element(s)",
                b.len()
            ),
        )),
        other => Err(want(op, "an integer index", other)),
    }
}

fn aget(_vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let b = array(&args[0], "aget")?;
    let i = index(&args[1], b, "aget")?;
    Ok(elem_value(b.get(i).expect("index checked")))
}

fn aset(_vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let b = array(&args[0], "aset!")?;
    let i = index(&args[1], b, "aset!")?;
    let e = elem(&args[2]).ok_or_else(|| want("aset!", "a number to store", &args[2]))?;
    b.set(i, e)
        .map_err(|m| LispError::new(ErrorKind::Value, format!("`aset!`: {m}")))?;
    Ok(args[2].clone())
}

fn alength(_vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    Ok(Value::Int(array(&args[0], "alength")?.len() as i64))
}

fn is_array(_vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    Ok(Value::Bool(matches!(args[0], Value::Array(_))))
}

/// `(as-nd a shape dtype)`'s arguments, checked: the array and the shape to view it with.
pub fn as_nd_args(args: &[Value]) -> Result<(Rc<SharedBuffer>, Vec<usize>), Exn> {
    let b = array(&args[0], "as-nd")?.clone();
    let shape: Vec<usize> = match &args[1] {
        Value::Int(n) if *n >= 0 => vec![*n as usize],
        v => v
            .as_seq()
            .ok_or_else(|| want("as-nd", "a shape (a vector of sizes)", v))?
            .iter()
            .map(|d| match d {
                Value::Int(n) if *n >= 0 => Ok(*n as usize),
                other => Err(want("as-nd", "non-negative sizes in the shape", other)),
            })
            .collect::<Result<_, _>>()?,
    };
    let Value::Str(dtype) = &args[2] else {
        return Err(want("as-nd", "a dtype name such as \"float32\"", &args[2]));
    };
    match DType::from_name(dtype) {
        Some(d) if d == b.dtype() => {}
        Some(_) => {
            return Err(LispError::new(
                ErrorKind::Value,
                format!(
                    "`as-nd`: dtype \"{dtype}\" does not match the array's element type {}",
                    b.dtype().name()
                ),
            )
            .with_help(format!(
                "the memory is shared, not converted: use \"{}\"",
                b.dtype().name()
            )))
        }
        None => {
            return Err(LispError::new(
                ErrorKind::Value,
                format!("`as-nd`: unknown dtype \"{dtype}\""),
            )
            .with_help("one of float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64"))
        }
    }
    // Checked: sizes whose product overflows name no array (a zero size makes it empty).
    let total = if shape.contains(&0) {
        Some(0)
    } else {
        shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    };
    let total = total
        .ok_or_else(|| {
            LispError::new(
                ErrorKind::Value,
                format!(
                    "`as-nd`: shape {shape:?} holds more elements than can be counted (the product of the sizes overflows), but the array has {}",
                    b.len()
                ),
            )
        })?;
    if total != b.len() {
        return Err(LispError::new(
            ErrorKind::Value,
            format!(
                "`as-nd`: shape {:?} holds {total} element(s), but the array has {}",
                shape,
                b.len()
            ),
        ));
    }
    Ok((b, shape))
}
