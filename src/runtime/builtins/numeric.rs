//! Numbers: `+ - * / mod quot rem` and comparisons, with Python's semantics: integers never
//! overflow (they promote to big integers), `/` of two integers is exact when it divides and a
//! float otherwise, `mod` takes the sign of the divisor, dividing by zero is an error.

use super::{def, want};
use crate::runtime::error::{type_error, ErrorKind, LispError};
use crate::runtime::printer::type_and_preview;
use crate::runtime::value::BuiltinResult;
use crate::runtime::value::{Arith, Compare, HostArgs, HostOp};
use crate::runtime::value::{Builtin, Value};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

pub static BUILTINS: &[Builtin] = &[
    def!("+", 0, None, add, "Sum of the arguments; (+) is 0.", host = HostArgs::Any(HostOp::Arith(Arith::Add))),
    def!("-", 1, None, sub, "Subtracts the rest from the first; (- x) negates.", host = HostArgs::Any(HostOp::Arith(Arith::Sub))),
    def!("*", 0, None, mul, "Product of the arguments; (*) is 1.", host = HostArgs::Any(HostOp::Arith(Arith::Mul))),
    def!("/", 1, None, div, "Divides the first by the rest: exact for integers that divide, else a float.", host = HostArgs::Any(HostOp::Arith(Arith::Div))),
    def!("mod", 2, Some(2), modulo, "Remainder with the sign of the divisor (Python's %).", host = HostArgs::Any(HostOp::Arith(Arith::Mod))),
    def!("quot", 2, Some(2), quot, "Integer quotient, rounded toward zero."),
    def!("rem", 2, Some(2), rem, "Remainder with the sign of the dividend."),
    def!("<", 1, None, lt, "True if the numbers increase strictly.", host = HostArgs::Any(HostOp::Compare(Compare::Lt))),
    def!(">", 1, None, gt, "True if the numbers decrease strictly.", host = HostArgs::Any(HostOp::Compare(Compare::Gt))),
    def!("<=", 1, None, le, "True if the numbers never decrease.", host = HostArgs::Any(HostOp::Compare(Compare::Le))),
    def!(">=", 1, None, ge, "True if the numbers never increase.", host = HostArgs::Any(HostOp::Compare(Compare::Ge))),
    def!("=", 1, None, eq, "True if all arguments are equal (1 equals 1.0; a list equals a vector with the same items).", host = HostArgs::Any(HostOp::Compare(Compare::Eq))),
    def!("not=", 1, None, not_eq, "(not (= ...))", host = HostArgs::Any(HostOp::NotEqual)),
    def!("inc", 1, Some(1), inc, "x + 1", host = HostArgs::Any(HostOp::Inc)),
    def!("dec", 1, Some(1), dec, "x - 1", host = HostArgs::Any(HostOp::Dec)),
    def!("abs", 1, Some(1), abs, "Absolute value."),
    def!("min", 1, None, min, "Smallest argument."),
    def!("max", 1, None, max, "Largest argument."),
    def!("pow", 2, Some(2), pow, "x to the power y (exact for integers and a non-negative exponent).", host = HostArgs::Any(HostOp::Arith(Arith::Pow))),
    def!("float", 1, Some(1), to_float, "The number (or numeric string) as a float."),
    def!("int", 1, Some(1), to_int, "The number truncated toward zero, or a numeric string parsed."),
    def!("zero?", 1, Some(1), is_zero, "True for 0 and 0.0."),
    def!("pos?", 1, Some(1), is_pos, "True for numbers above zero."),
    def!("neg?", 1, Some(1), is_neg, "True for numbers below zero."),
    def!("even?", 1, Some(1), is_even, "True for even integers."),
    def!("odd?", 1, Some(1), is_odd, "True for odd integers."),
    def!("floor-div", 2, Some(2), floor_div, "Quotient rounded toward negative infinity (Python's //).", host = HostArgs::Any(HostOp::Arith(Arith::FloorDiv))),
    def!("matmul", 2, Some(2), matmul, "Matrix product (Python's @), for Python objects such as ndarrays.", host = HostArgs::Any(HostOp::Arith(Arith::MatMul))),
    def!("bit-and", 2, None, bit_and, "Bitwise and of integers (Python's &).", host = HostArgs::Any(HostOp::Arith(Arith::BitAnd))),
    def!("bit-or", 2, None, bit_or, "Bitwise or of integers (Python's |).", host = HostArgs::Any(HostOp::Arith(Arith::BitOr))),
    def!("bit-xor", 2, None, bit_xor, "Bitwise exclusive or of integers (Python's ^).", host = HostArgs::Any(HostOp::Arith(Arith::BitXor))),
    def!("bit-not", 1, Some(1), bit_not, "Bitwise not of an integer, -x - 1 (Python's ~).", host = HostArgs::Any(HostOp::BitNot)),
    def!("bit-shift-left", 2, Some(2), shift_left, "x shifted left by n bits (Python's <<).", host = HostArgs::Any(HostOp::Arith(Arith::ShiftLeft))),
    def!("bit-shift-right", 2, Some(2), shift_right, "x shifted right by n bits, rounding down (Python's >>).", host = HostArgs::Any(HostOp::Arith(Arith::ShiftRight))),
    def!("identical?", 2, Some(2), identical, "The same object (Python's is): same allocation, or equal immediates.", host = HostArgs::Any(HostOp::Identical)),
    def!("truthy?", 1, Some(1), truthy, "Python's bool(x): false also for 0, 0.0, \"\" and empty collections.", host = HostArgs::Any(HostOp::Truthy)),
];

/// Whether `b` is one of this module's builtins (the compiler inlines those).
pub fn is_core(b: &'static Builtin) -> bool {
    BUILTINS.iter().any(|x| std::ptr::eq(x, b))
}

/// A number widened to what the operation needs.
enum Num {
    I(i64),
    B(BigInt),
    F(f64),
}

fn num(v: &Value, op: &str) -> Result<Num, Box<LispError>> {
    match v {
        Value::Int(i) => Ok(Num::I(*i)),
        Value::Big(b) => Ok(Num::B((**b).clone())),
        Value::Float(f) => Ok(Num::F(*f)),
        other => Err(type_error(format!(
            "`{op}` needs numbers, got {}",
            type_and_preview(other)
        ))),
    }
}

fn big(n: &Num) -> BigInt {
    match n {
        Num::I(i) => BigInt::from(*i),
        Num::B(b) => b.clone(),
        Num::F(_) => unreachable!("floats are handled before widening to big"),
    }
}

fn float(n: &Num) -> f64 {
    match n {
        Num::I(i) => *i as f64,
        Num::B(b) => b.to_f64().unwrap_or(f64::INFINITY),
        Num::F(f) => *f,
    }
}

fn overflow(message: &str) -> Box<LispError> {
    LispError::new(ErrorKind::Overflow, message)
}

/// Like `float`, but an integer too large for a float is an `OverflowError` (as in Python).
fn float_checked(n: &Num) -> Result<f64, Box<LispError>> {
    let f = float(n);
    if f.is_infinite() && matches!(n, Num::B(_)) {
        return Err(overflow("int too large to convert to float"));
    }
    Ok(f)
}

fn to_value(n: Num) -> Value {
    match n {
        Num::I(i) => Value::Int(i),
        Num::B(b) => Value::from_bigint(b),
        Num::F(f) => Value::Float(f),
    }
}

fn arith(
    a: Num,
    b: Num,
    int: fn(i64, i64) -> Option<i64>,
    bigop: fn(BigInt, BigInt) -> BigInt,
    flt: fn(f64, f64) -> f64,
) -> Num {
    match (&a, &b) {
        (Num::I(x), Num::I(y)) => match int(*x, *y) {
            Some(r) => Num::I(r),
            None => Num::B(bigop(BigInt::from(*x), BigInt::from(*y))),
        },
        (Num::F(_), _) | (_, Num::F(_)) => Num::F(flt(float(&a), float(&b))),
        _ => {
            let r = bigop(big(&a), big(&b));
            match r.to_i64() {
                Some(i) => Num::I(i),
                None => Num::B(r),
            }
        }
    }
}

fn fold(
    args: &[Value],
    op: &str,
    unit: i64,
    int: fn(i64, i64) -> Option<i64>,
    bigop: fn(BigInt, BigInt) -> BigInt,
    flt: fn(f64, f64) -> f64,
) -> BuiltinResult {
    let mut acc = Num::I(unit);
    let any_float = args.iter().any(|a| matches!(a, Value::Float(_)));
    for v in args {
        let n = num(v, op)?;
        if any_float {
            float_checked(&n)?;
        }
        acc = arith(acc, n, int, bigop, flt);
    }
    Ok(to_value(acc))
}

fn add(args: &[Value]) -> BuiltinResult {
    fold(args, "+", 0, i64::checked_add, |a, b| a + b, |a, b| a + b)
}

fn mul(args: &[Value]) -> BuiltinResult {
    fold(args, "*", 1, i64::checked_mul, |a, b| a * b, |a, b| a * b)
}

fn sub(args: &[Value]) -> BuiltinResult {
    let first = num(&args[0], "-")?;
    if args.len() == 1 {
        return Ok(to_value(arith(
            Num::I(0),
            first,
            i64::checked_sub,
            |a, b| a - b,
            |a, b| a - b,
        )));
    }
    let mut acc = first;
    for v in &args[1..] {
        acc = arith(
            acc,
            num(v, "-")?,
            i64::checked_sub,
            |a, b| a - b,
            |a, b| a - b,
        );
    }
    Ok(to_value(acc))
}

fn zero_division(what: &str) -> Box<LispError> {
    LispError::new(ErrorKind::ZeroDivision, format!("{what} by zero"))
}

fn is_zero_num(n: &Num) -> bool {
    match n {
        Num::I(i) => *i == 0,
        Num::B(b) => b.is_zero(),
        Num::F(f) => *f == 0.0,
    }
}

fn divide2(a: Num, b: Num) -> Result<Num, Box<LispError>> {
    if is_zero_num(&b) {
        return Err(zero_division("division"));
    }
    Ok(match (&a, &b) {
        (Num::F(_), _) | (_, Num::F(_)) => Num::F(float(&a) / float(&b)),
        _ => {
            let (x, y) = (big(&a), big(&b));
            let (q, r) = x.div_rem(&y);
            if r.is_zero() {
                match q.to_i64() {
                    Some(i) => Num::I(i),
                    None => Num::B(q),
                }
            } else {
                Num::F(true_div(&x, &y))
            }
        }
    })
}

/// Integer true division close to Python's (correctly rounded but for rare double rounding),
/// also for operands too large for a float.
fn true_div(x: &BigInt, y: &BigInt) -> f64 {
    const EXACT: i64 = 1 << 53;
    if let (Some(a), Some(b)) = (x.to_i64(), y.to_i64()) {
        if a.abs() < EXACT && b.abs() < EXACT {
            return a as f64 / b as f64;
        }
    }
    // Shift so the integer quotient has about 64 significant bits, then scale back.
    let k = 64 - (x.bits() as i64 - y.bits() as i64);
    let q = if k >= 0 {
        (x << k as usize) / y
    } else {
        x / (y << (-k) as usize)
    };
    let q = q.to_f64().unwrap_or(f64::INFINITY);
    if k.abs() > 1000 {
        q * 2f64.powi(-(k / 2) as i32) * 2f64.powi(-(k - k / 2) as i32)
    } else {
        q * 2f64.powi(-k as i32)
    }
}

fn div(args: &[Value]) -> BuiltinResult {
    if args.len() == 1 {
        return divide2(Num::I(1), num(&args[0], "/")?).map(to_value);
    }
    let mut acc = num(&args[0], "/")?;
    for v in &args[1..] {
        acc = divide2(acc, num(v, "/")?)?;
    }
    Ok(to_value(acc))
}

/// Two machine integers and the operation on them, unless it overflows (`i64::MIN` by `-1`) or
/// divides by zero: those take the general path (a big integer, or the error).
fn small_ints(args: &[Value], op: fn(i64, i64) -> Option<i64>) -> Option<Value> {
    match (&args[0], &args[1]) {
        (Value::Int(x), Value::Int(y)) => op(*x, *y).map(Value::Int),
        _ => None,
    }
}

fn modulo(args: &[Value]) -> BuiltinResult {
    // Floored, as Python's %: the result has the divisor's sign.
    if let Some(v) = small_ints(args, |x, y| {
        let r = x.checked_rem(y)?;
        Some(if r != 0 && (r < 0) != (y < 0) {
            r + y
        } else {
            r
        })
    }) {
        return Ok(v);
    }
    let (a, b) = (num(&args[0], "mod")?, num(&args[1], "mod")?);
    if is_zero_num(&b) {
        return Err(zero_division("modulo"));
    }
    Ok(to_value(match (&a, &b) {
        (Num::F(_), _) | (_, Num::F(_)) => {
            let (x, y) = (float(&a), float(&b));
            let r = x % y;
            Num::F(if r != 0.0 && (r < 0.0) != (y < 0.0) {
                r + y
            } else {
                r
            })
        }
        _ => Num::B(big(&a).mod_floor(&big(&b))),
    }))
}

fn quot(args: &[Value]) -> BuiltinResult {
    if let Some(v) = small_ints(args, i64::checked_div) {
        return Ok(v);
    }
    let (a, b) = (num(&args[0], "quot")?, num(&args[1], "quot")?);
    if is_zero_num(&b) {
        return Err(zero_division("division"));
    }
    Ok(to_value(match (&a, &b) {
        (Num::F(_), _) | (_, Num::F(_)) => Num::F((float(&a) / float(&b)).trunc()),
        _ => Num::B(big(&a) / big(&b)),
    }))
}

fn rem(args: &[Value]) -> BuiltinResult {
    if let Some(v) = small_ints(args, i64::checked_rem) {
        return Ok(v);
    }
    let (a, b) = (num(&args[0], "rem")?, num(&args[1], "rem")?);
    if is_zero_num(&b) {
        return Err(zero_division("modulo"));
    }
    Ok(to_value(match (&a, &b) {
        (Num::F(_), _) | (_, Num::F(_)) => Num::F(float(&a) % float(&b)),
        _ => Num::B(big(&a) % big(&b)),
    }))
}

fn compare(a: &Value, b: &Value, op: &str) -> Result<std::cmp::Ordering, Box<LispError>> {
    use std::cmp::Ordering;
    if let (Value::Str(x), Value::Str(y)) = (a, b) {
        return Ok(x.cmp(y));
    }
    let (x, y) = (num(a, op)?, num(b, op)?);
    Ok(match (&x, &y) {
        (Num::I(p), Num::I(q)) => p.cmp(q),
        (Num::F(_), _) | (_, Num::F(_)) => {
            let (p, q) = (float(&x), float(&y));
            p.partial_cmp(&q).unwrap_or(Ordering::Greater)
        }
        _ => big(&x).cmp(&big(&y)),
    })
}

fn chain(args: &[Value], op: &str, ok: fn(std::cmp::Ordering) -> bool) -> BuiltinResult {
    let mut result = true;
    for w in args.windows(2) {
        // Short-circuits like Python's chained comparisons.
        if !ok(compare(&w[0], &w[1], op)?) {
            result = false;
            break;
        }
    }
    if args.len() == 1 {
        num(&args[0], op)?;
    }
    Ok(Value::Bool(result))
}

/// `(< a b)` for two numbers or strings (`sort` uses it).
pub fn less_than(a: &Value, b: &Value) -> Result<bool, crate::runtime::error::Exn> {
    Ok(compare(a, b, "<")?.is_lt())
}

fn lt(args: &[Value]) -> BuiltinResult {
    chain(args, "<", |o| o.is_lt())
}
fn gt(args: &[Value]) -> BuiltinResult {
    chain(args, ">", |o| o.is_gt())
}
fn le(args: &[Value]) -> BuiltinResult {
    chain(args, "<=", |o| o.is_le())
}
fn ge(args: &[Value]) -> BuiltinResult {
    chain(args, ">=", |o| o.is_ge())
}

fn eq(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(args.windows(2).all(|w| w[0] == w[1])))
}

fn not_eq(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(!args.windows(2).all(|w| w[0] == w[1])))
}

fn inc(args: &[Value]) -> BuiltinResult {
    num(&args[0], "inc")?;
    add(&[args[0].clone(), Value::Int(1)])
}

fn dec(args: &[Value]) -> BuiltinResult {
    num(&args[0], "dec")?;
    sub(&[args[0].clone(), Value::Int(1)])
}

fn abs(args: &[Value]) -> BuiltinResult {
    Ok(match num(&args[0], "abs")? {
        Num::I(i) => match i.checked_abs() {
            Some(a) => Value::Int(a),
            None => Value::from_bigint(BigInt::from(i).abs()),
        },
        Num::B(b) => Value::from_bigint(b.abs()),
        Num::F(f) => Value::Float(f.abs()),
    })
}

fn extreme(args: &[Value], op: &str, pick: fn(std::cmp::Ordering) -> bool) -> BuiltinResult {
    let mut best = &args[0];
    num(best, op)?;
    for v in &args[1..] {
        if pick(compare(v, best, op)?) {
            best = v;
        }
    }
    Ok(best.clone())
}

fn min(args: &[Value]) -> BuiltinResult {
    extreme(args, "min", |o| o.is_lt())
}

fn max(args: &[Value]) -> BuiltinResult {
    extreme(args, "max", |o| o.is_gt())
}

fn pow(args: &[Value]) -> BuiltinResult {
    let (a, b) = (num(&args[0], "pow")?, num(&args[1], "pow")?);
    Ok(match (&a, &b) {
        (Num::I(_) | Num::B(_), Num::I(e)) if *e >= 0 => {
            let e = u32::try_from(*e).map_err(|_| {
                LispError::new(ErrorKind::Value, "exponent too large for an exact power")
            })?;
            Value::from_bigint(num_traits::pow::Pow::pow(big(&a), e))
        }
        _ => {
            if is_zero_num(&a) && float(&b) < 0.0 {
                return Err(LispError::new(
                    ErrorKind::ZeroDivision,
                    "0.0 cannot be raised to a negative power",
                ));
            }
            let (x, y) = (float_checked(&a)?, float_checked(&b)?);
            if x < 0.0 && x.is_finite() && y.is_finite() && y.fract() != 0.0 {
                // Python answers with a complex number here; the Lisp has none, and `nan`
                // would hide the mistake.
                let (base, exp) = (
                    crate::runtime::printer::readable(&args[0]),
                    crate::runtime::printer::readable(&args[1]),
                );
                return Err(LispError::new(
                    ErrorKind::Value,
                    format!(
                        "(pow {base} {exp}): negative number to a fractional power gives a complex number; use Python: (py-eval \"({base}) ** {exp}\")"
                    ),
                )
                .with_help("the Lisp has no complex numbers; for a real root of the magnitude use (pow (abs x) y)"));
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(overflow("numerical result out of range"));
            }
            Value::Float(r)
        }
    })
}

fn to_float(args: &[Value]) -> BuiltinResult {
    match &args[0] {
        Value::Str(s) => s.trim().parse::<f64>().map(Value::Float).map_err(|_| {
            LispError::new(
                ErrorKind::Value,
                format!("could not convert string to float: {:?}", s.as_str()),
            )
        }),
        v => Ok(Value::Float(float_checked(&num(v, "float")?)?)),
    }
}

fn to_int(args: &[Value]) -> BuiltinResult {
    match &args[0] {
        Value::Str(s) => s
            .trim()
            .parse::<BigInt>()
            .map(Value::from_bigint)
            .map_err(|_| {
                LispError::new(
                    ErrorKind::Value,
                    format!("invalid literal for int(): {:?}", s.as_str()),
                )
            }),
        v => match num(v, "int")? {
            Num::F(f) if !f.is_finite() => Err(LispError::new(
                ErrorKind::Value,
                format!("cannot convert float {f} to integer"),
            )),
            Num::F(f) => Ok(Value::from_bigint(float_to_big(f.trunc()))),
            n => Ok(to_value(n)),
        },
    }
}

fn float_to_big(f: f64) -> BigInt {
    use num_traits::FromPrimitive;
    BigInt::from_f64(f).unwrap_or_default()
}

fn sign(args: &[Value], op: &str) -> Result<std::cmp::Ordering, Box<LispError>> {
    compare(&args[0], &Value::Int(0), op)
}

fn is_zero(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(sign(args, "zero?")?.is_eq()))
}
fn is_pos(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(sign(args, "pos?")?.is_gt()))
}
fn is_neg(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(sign(args, "neg?")?.is_lt()))
}

fn parity(args: &[Value], op: &str) -> Result<bool, Box<LispError>> {
    match &args[0] {
        Value::Int(i) => Ok(i % 2 == 0),
        Value::Big(b) => Ok(b.is_even()),
        other => Err(want(op, "an integer", other)),
    }
}

fn is_even(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(parity(args, "even?")?))
}
fn is_odd(args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(!parity(args, "odd?")?))
}

fn floor_div(args: &[Value]) -> BuiltinResult {
    let (a, b) = (num(&args[0], "floor-div")?, num(&args[1], "floor-div")?);
    if is_zero_num(&b) {
        return Err(zero_division("integer division or modulo"));
    }
    Ok(to_value(match (&a, &b) {
        (Num::F(_), _) | (_, Num::F(_)) => Num::F((float(&a) / float(&b)).floor()),
        _ => Num::B(big(&a).div_floor(&big(&b))),
    }))
}

fn matmul(args: &[Value]) -> BuiltinResult {
    Err(type_error(format!(
        "`matmul` needs Python objects (such as ndarrays), got {} and {}",
        type_and_preview(&args[0]),
        type_and_preview(&args[1])
    ))
    .with_help("make NumPy arrays first: (matmul (np.array a) (np.array b))"))
}

/// An integer operand of a bitwise operator.
fn int_operand(v: &Value, op: &str) -> Result<BigInt, Box<LispError>> {
    match v {
        Value::Int(i) => Ok(BigInt::from(*i)),
        Value::Big(b) => Ok((**b).clone()),
        other => Err(type_error(format!(
            "`{op}` needs integers, got {}",
            type_and_preview(other)
        ))),
    }
}

fn bitwise(args: &[Value], op: &str, f: fn(BigInt, BigInt) -> BigInt) -> BuiltinResult {
    let mut acc = int_operand(&args[0], op)?;
    for v in &args[1..] {
        acc = f(acc, int_operand(v, op)?);
    }
    Ok(Value::from_bigint(acc))
}

fn bit_and(args: &[Value]) -> BuiltinResult {
    bitwise(args, "bit-and", |a, b| a & b)
}

fn bit_or(args: &[Value]) -> BuiltinResult {
    bitwise(args, "bit-or", |a, b| a | b)
}

fn bit_xor(args: &[Value]) -> BuiltinResult {
    bitwise(args, "bit-xor", |a, b| a ^ b)
}

fn bit_not(args: &[Value]) -> BuiltinResult {
    Ok(Value::from_bigint(-int_operand(&args[0], "bit-not")? - 1))
}

/// A shift count: non-negative, and small enough to make a number that fits in memory.
fn shift_count(v: &Value, op: &str) -> Result<usize, Box<LispError>> {
    let n = int_operand(v, op)?;
    if n.is_negative() {
        return Err(LispError::new(ErrorKind::Value, "negative shift count"));
    }
    n.to_usize()
        .filter(|n| *n <= u32::MAX as usize)
        .ok_or_else(|| overflow("shift count too large"))
}

fn shift_left(args: &[Value]) -> BuiltinResult {
    let (x, n) = (
        int_operand(&args[0], "bit-shift-left")?,
        shift_count(&args[1], "bit-shift-left")?,
    );
    Ok(Value::from_bigint(x << n))
}

fn shift_right(args: &[Value]) -> BuiltinResult {
    let (x, n) = (
        int_operand(&args[0], "bit-shift-right")?,
        shift_count(&args[1], "bit-shift-right")?,
    );
    // Python's >> rounds toward negative infinity, as BigInt's does for negative numbers.
    Ok(Value::from_bigint(x >> n))
}

fn identical(args: &[Value]) -> BuiltinResult {
    use std::rc::Rc;
    let same = match (&args[0], &args[1]) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
        (Value::Symbol(a), Value::Symbol(b)) | (Value::Keyword(a), Value::Keyword(b)) => a == b,
        (Value::Str(a), Value::Str(b)) => Rc::ptr_eq(a, b),
        (Value::Big(a), Value::Big(b)) => Rc::ptr_eq(a, b),
        (Value::Vector(a), Value::Vector(b)) => Rc::ptr_eq(a, b),
        (Value::Map(a), Value::Map(b)) => Rc::ptr_eq(a, b),
        (Value::List(a), Value::List(b)) => match (&a.0, &b.0) {
            (None, None) => true,
            (Some(x), Some(y)) => Rc::ptr_eq(x, y),
            _ => false,
        },
        (Value::Func(a), Value::Func(b)) => Rc::ptr_eq(a, b),
        (Value::Builtin(a), Value::Builtin(b)) => std::ptr::eq(*a, *b),
        (Value::Array(a), Value::Array(b)) => Rc::ptr_eq(a, b),
        _ => false,
    };
    Ok(Value::Bool(same))
}

/// Python's truth for Lisp values: false, nil, zero, empty strings and collections are false.
fn truthy(args: &[Value]) -> BuiltinResult {
    let t = match &args[0] {
        Value::Nil | Value::Bool(false) => false,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::List(l) => !l.is_empty(),
        Value::Vector(v) => !v.is_empty(),
        Value::Map(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    };
    Ok(Value::Bool(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(f: fn(&[Value]) -> BuiltinResult, a: i64, b: i64) -> Value {
        f(&[Value::Int(a), Value::Int(b)]).expect("a number")
    }

    #[test]
    fn machine_integer_division_matches_the_big_integer_path() {
        for (a, b) in [
            (7, 3),
            (-7, 3),
            (7, -3),
            (-7, -3),
            (6, 3),
            (0, 5),
            (i64::MAX, 7),
        ] {
            let big =
                |f: fn(&BigInt, &BigInt) -> BigInt| Value::from_bigint(f(&a.into(), &b.into()));
            assert_eq!(
                ints(modulo, a, b),
                big(|x, y| x.mod_floor(y)),
                "mod {a} {b}"
            );
            assert_eq!(ints(rem, a, b), big(|x, y| x % y), "rem {a} {b}");
            assert_eq!(ints(quot, a, b), big(|x, y| x / y), "quot {a} {b}");
        }
        // i64::MIN by -1 overflows a machine integer: a big integer then.
        assert_eq!(
            ints(quot, i64::MIN, -1),
            Value::from_bigint(-BigInt::from(i64::MIN))
        );
        assert_eq!(ints(modulo, i64::MIN, -1), Value::Int(0));
        assert!(modulo(&[Value::Int(1), Value::Int(0)]).is_err());
    }
}
