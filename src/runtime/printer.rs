//! Printed forms of values: *readable* (`prn`, the REPL: strings quoted and escaped) and
//! *display* (`println`, `str`: strings as they are). Floats print like Python's `repr` (always
//! with a `.` or an exponent: `10.0`, `1e-07`, `1e+16`), so a number looks the same whether
//! Lisp or Python printed it.

use super::value::Value;
use std::fmt::Write;

/// Deeper structures print their inner part as `...` rather than recurse without bound.
const MAX_PRINT_DEPTH: usize = 1000;

pub fn readable(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v, true, 0);
    s
}

pub fn display(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v, false, 0);
    s
}

/// `the string "abc"`-style description for error messages.
pub fn type_and_preview(v: &Value) -> String {
    if matches!(v, Value::Nil) {
        return "nil".into();
    }
    let mut p = readable(v);
    if p.chars().count() > 40 {
        p = p.chars().take(37).collect::<String>() + "...";
    }
    format!("{} {}", v.type_name(), p)
}

pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Shortest round-trip digits, then laid out the way Python's repr does.
    let sci = format!("{:e}", f);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point >= n {
            format!("{}{}.0", digits, "0".repeat((point - n) as usize))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

/// Elements shown when a typed array prints.
const ARRAY_PREVIEW: usize = 8;

/// `#<float32array len 4 [1.0 2.0 3.0 4.0]>`: the dtype, the length, the first elements.
fn write_array(out: &mut String, b: &crate::buffer::SharedBuffer) {
    use crate::buffer::Elem;
    let _ = write!(out, "#<{}array len {} [", b.dtype().name(), b.len());
    for i in 0..b.len().min(ARRAY_PREVIEW) {
        if i > 0 {
            out.push(' ');
        }
        match b.get(i) {
            Some(Elem::Int(x)) => {
                let _ = write!(out, "{x}");
            }
            Some(Elem::Float(f)) => out.push_str(&format_float(f)),
            None => {}
        }
    }
    if b.len() > ARRAY_PREVIEW {
        out.push_str(" ...");
    }
    out.push_str("]>");
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_seq<'a>(
    out: &mut String,
    items: impl Iterator<Item = &'a Value>,
    open: char,
    close: char,
    readable: bool,
    depth: usize,
) {
    out.push(open);
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(out, v, readable, depth + 1);
    }
    out.push(close);
}

pub fn write_value(out: &mut String, v: &Value, readable: bool, depth: usize) {
    crate::stack::guarded(|| write_inner(out, v, readable, depth))
}

fn write_inner(out: &mut String, v: &Value, readable: bool, depth: usize) {
    if depth > MAX_PRINT_DEPTH {
        out.push_str("...");
        return;
    }
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Big(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::Str(s) => {
            if readable {
                write_string(out, s)
            } else {
                out.push_str(s)
            }
        }
        Value::Symbol(s) => out.push_str(&s.name()),
        Value::Keyword(s) => {
            out.push(':');
            out.push_str(&s.name())
        }
        Value::List(l) => write_seq(out, l.iter(), '(', ')', readable, depth),
        Value::Vector(items) => write_seq(out, items.iter(), '[', ']', readable, depth),
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, k, readable, depth + 1);
                out.push(' ');
                write_value(out, v, readable, depth + 1);
            }
            out.push('}');
        }
        Value::Func(c) => {
            let _ = write!(out, "#<fn {}>", c.proto.display_name());
        }
        Value::Builtin(b) => {
            let _ = write!(out, "#<builtin {}>", b.name);
        }
        Value::Macro(c) => {
            let _ = write!(out, "#<macro {}>", c.proto.display_name());
        }
        Value::Error(e) => {
            let _ = write!(out, "#<error {}: {}>", e.kind.type_name(), e.message);
        }
        Value::Array(b) => write_array(out, b),
        Value::Host(r) => out.push_str(&r.host.describe(r, readable)),
        Value::Lazy(l) => out.push_str(&l.host.describe_lazy(l, readable)),
        Value::Cell(c) => write_value(out, &c.borrow(), readable, depth),
        Value::Unbound => out.push_str("#<unbound>"),
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&readable(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        for (f, s) in [
            (10.0, "10.0"),
            (2.75, "2.75"),
            (1e-3, "0.001"),
            (1e-5, "1e-05"),
            (-2.5e10, "-25000000000.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789.125, "123456789.125"),
        ] {
            assert_eq!(format_float(f), s, "{f}");
        }
    }

    #[test]
    fn strings_escape_when_readable() {
        let v = Value::str("a\"b\n");
        assert_eq!(readable(&v), "\"a\\\"b\\n\"");
        assert_eq!(display(&v), "a\"b\n");
    }
}
