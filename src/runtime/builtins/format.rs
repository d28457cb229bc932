//! `(format "{} has {:.2f}" a b)`: Python's `str.format` mini-language, for Lisp values.
//!
//! Replacement fields `{}` (automatic numbering), `{0}` (by position), `{name}` (a key of the
//! last argument, which must then be a map: `:name`, then `"name"`), `{0[1]}` / `{0[key]}`
//! (an item of the argument), conversions `!s` (display form), `!r` / `!a` (readable form),
//! and the format spec `[[fill]align][sign][z][#][0][width][,|_][.precision][type]`, with
//! nested fields in the spec (`{:>{}}`). `{{` and `}}` are literal braces.
//!
//! Types: `s` (and `r`, the readable form) for any value; `d b o x X c n` for integers (and
//! booleans); `e E f F g G n %` for numbers. Without a type a number is formatted as Python
//! formats it and anything else by its display form. A Python object is formatted by its `str`
//! unless a spec is given, which then goes to its `__format__`. Every error is a `ValueError`.

use super::defvm;
use crate::runtime::error::{ErrorKind, Exn, LispError};
use crate::runtime::printer::{display, format_float, readable};
use crate::runtime::value::{Builtin, BuiltinResult, Value};
use crate::runtime::Vm;
use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive};

pub static BUILTINS: &[Builtin] = &[defvm!(
    "format",
    1,
    None,
    format,
    "(format \"{} has {:.2f}\" a b): the arguments formatted into the template, as Python's str.format does."
)];

fn value_error(message: impl Into<String>) -> Exn {
    LispError::new(ErrorKind::Value, message)
}

fn format(vm: &mut Vm, args: Vec<Value>) -> BuiltinResult {
    let Value::Str(template) = &args[0] else {
        return Err(super::want("format", "a template string", &args[0]));
    };
    let mut values = Vec::with_capacity(args.len() - 1);
    for a in &args[1..] {
        values.push(vm.force(a)?);
    }
    let span = vm.call_span;
    let mut host = |v: &Value, conversion: Option<char>, spec: &str| -> Result<String, Exn> {
        let method = match conversion {
            Some('r' | 'a') => "__repr__",
            Some(_) => "__str__",
            None if spec.is_empty() => return Ok(display(v)),
            None => "__format__",
        };
        let host = vm.host.clone();
        let f = crate::runtime::host::Lazy::attr(&host, v.clone(), vec![method.to_string()], span);
        let args = if method == "__format__" {
            vec![Value::str(spec)]
        } else {
            Vec::new()
        };
        let r = host.call(vm, &f, &args, span)?;
        let r = vm.force(&r)?;
        let text = match &r {
            Value::Str(s) => s.to_string(),
            other => display(other),
        };
        if method == "__format__" {
            Ok(text)
        } else {
            format_value(&Value::str(&text), None, spec)
        }
    };
    Ok(Value::str(&format_with(template, &values, &mut host)?))
}

/// A hook for host (Python) values: `(value, conversion, spec)` to the formatted text.
pub type HostFormat<'a> = dyn FnMut(&Value, Option<char>, &str) -> Result<String, Exn> + 'a;

/// Formats `template` with `args`; host values go to `host`.
pub fn format_with(template: &str, args: &[Value], host: &mut HostFormat) -> Result<String, Exn> {
    let mut state = Fields {
        args,
        next: 0,
        manual: false,
        auto: false,
    };
    expand(template, &mut state, host, 0)
}

struct Fields<'a> {
    args: &'a [Value],
    next: usize,
    manual: bool,
    auto: bool,
}

fn expand(
    template: &str,
    st: &mut Fields,
    host: &mut HostFormat,
    depth: usize,
) -> Result<String, Exn> {
    if depth > 1 {
        return Err(value_error(
            "Max string recursion exceeded in a format spec",
        ));
    }
    let mut out = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => {
                return Err(value_error(
                    "Single '}' encountered in format string (write '}}' for a literal brace)",
                ))
            }
            '{' => {
                // The field runs to the matching '}' (a spec may nest one level of fields).
                let mut level = 1;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    match d {
                        '{' => level += 1,
                        '}' => {
                            level -= 1;
                            if level == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else {
                    return Err(value_error(
                        "Single '{' encountered in format string (write '{{' for a literal brace)",
                    ));
                };
                out.push_str(&field(&template[i + 1..end], st, host, depth)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn field(text: &str, st: &mut Fields, host: &mut HostFormat, depth: usize) -> Result<String, Exn> {
    // field_name ["!" conversion] [":" spec]; the name ends at the first '!' or ':' outside [].
    let mut name_end = text.len();
    let mut in_index = false;
    for (i, c) in text.char_indices() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            '!' | ':' if !in_index => {
                name_end = i;
                break;
            }
            _ => {}
        }
    }
    let name = &text[..name_end];
    let mut rest = &text[name_end..];
    let mut conversion = None;
    if let Some(r) = rest.strip_prefix('!') {
        let mut cs = r.chars();
        let c = cs.next();
        match c {
            Some(c @ ('r' | 's' | 'a')) => conversion = Some(c),
            Some(c) if c != ':' => {
                return Err(value_error(format!(
                    "Unknown conversion specifier {c} (use !s, !r or !a)"
                )))
            }
            _ => {
                return Err(value_error(
                    "end of string while looking for conversion specifier",
                ))
            }
        }
        rest = cs.as_str();
        if !rest.is_empty() && !rest.starts_with(':') {
            return Err(value_error("expected ':' after conversion specifier"));
        }
    }
    let spec_text = rest.strip_prefix(':').unwrap_or("");
    let value = lookup(name, st)?;
    let spec = if spec_text.contains('{') {
        expand(spec_text, st, host, depth + 1)?
    } else {
        spec_text.to_string()
    };
    if value.is_host() {
        return host(&value, conversion, &spec);
    }
    format_value(&value, conversion, &spec)
}

fn lookup(name: &str, st: &mut Fields) -> Result<Value, Exn> {
    let (head, mut rest) = match name.find(['[', '.']) {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let mut v = if head.is_empty() {
        if st.manual {
            return Err(value_error(
                "cannot switch from manual field numbering ({0}) to automatic ({})",
            ));
        }
        st.auto = true;
        let i = st.next;
        st.next += 1;
        positional(st.args, i)?
    } else if let Ok(i) = head.parse::<usize>() {
        if st.auto {
            return Err(value_error(
                "cannot switch from automatic field numbering ({}) to manual ({0})",
            ));
        }
        st.manual = true;
        positional(st.args, i)?
    } else {
        match st.args.last() {
            Some(Value::Map(_)) => {
                key_of(st.args.last().expect("checked"), head).ok_or_else(|| {
                    value_error(format!(
                        "no key :{head} (or \"{head}\") in the map for {{{head}}}"
                    ))
                })?
            }
            _ => {
                return Err(value_error(format!(
                    "the field {{{head}}} names a key: give a map as the last argument"
                )))
            }
        }
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let Some(close) = r.find(']') else {
                return Err(value_error("Missing ']' in format string"));
            };
            let key = &r[..close];
            rest = &r[close + 1..];
            let item = match key.parse::<i64>() {
                Ok(i) if !matches!(v, Value::Map(_)) => {
                    super::seq::get(&[v.clone(), Value::Int(i), Value::Nil]).ok()
                }
                _ => key_of(&v, key),
            };
            v = item
                .filter(|x| !matches!(x, Value::Nil))
                .ok_or_else(|| value_error(format!("no item [{key}] in {}", readable(&v))))?;
        } else {
            return Err(value_error(format!(
                "attribute access in a format field ({name}) is not supported: pass the value itself"
            )));
        }
    }
    Ok(v)
}

fn key_of(m: &Value, key: &str) -> Option<Value> {
    let Value::Map(map) = m else { return None };
    crate::symbol::lookup(key)
        .and_then(|k| map.get(&Value::keyword(k)))
        .or_else(|| map.get(&Value::str(key)))
        .cloned()
}

fn positional(args: &[Value], i: usize) -> Result<Value, Exn> {
    args.get(i).cloned().ok_or_else(|| {
        value_error(format!(
            "the template wants argument {i} (counting from 0), but only {} {} given",
            args.len(),
            if args.len() == 1 { "was" } else { "were" }
        ))
    })
}

/// A parsed `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`.
#[derive(Debug, Default, Clone)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    z: bool,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

fn parse_spec(s: &str) -> Result<Spec, Exn> {
    let bad = || value_error(format!("Invalid format specifier '{s}'"));
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut sp = Spec::default();
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if cs.len() >= 2 && is_align(cs[1]) {
        sp.fill = Some(cs[0]);
        sp.align = Some(cs[1]);
        i = 2;
    } else if !cs.is_empty() && is_align(cs[0]) {
        sp.align = Some(cs[0]);
        i = 1;
    }
    if i < cs.len() && matches!(cs[i], '+' | '-' | ' ') {
        sp.sign = Some(cs[i]);
        i += 1;
    }
    if i < cs.len() && cs[i] == 'z' {
        sp.z = true;
        i += 1;
    }
    if i < cs.len() && cs[i] == '#' {
        sp.alt = true;
        i += 1;
    }
    if i < cs.len() && cs[i] == '0' {
        sp.zero = true;
        i += 1;
    }
    let start = i;
    while i < cs.len() && cs[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        let w: String = cs[start..i].iter().collect();
        sp.width = w
            .parse()
            .map_err(|_| value_error("Too many decimal digits in format string"))?;
    }
    if i < cs.len() && matches!(cs[i], ',' | '_') {
        sp.grouping = Some(cs[i]);
        i += 1;
        if i < cs.len() && matches!(cs[i], ',' | '_') {
            return Err(value_error("Cannot specify both ',' and '_'."));
        }
    }
    if i < cs.len() && cs[i] == '.' {
        i += 1;
        let start = i;
        while i < cs.len() && cs[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(value_error("Format specifier missing precision"));
        }
        let p: String = cs[start..i].iter().collect();
        sp.precision = Some(
            p.parse()
                .map_err(|_| value_error("Too many decimal digits in format string"))?,
        );
    }
    if i < cs.len() {
        sp.ty = Some(cs[i]);
        i += 1;
    }
    if i != cs.len() {
        return Err(bad());
    }
    Ok(sp)
}

/// Formats one Lisp value by `conversion` and `spec`.
fn format_value(v: &Value, conversion: Option<char>, spec: &str) -> Result<String, Exn> {
    if let Some(c) = conversion {
        let text = if c == 's' { display(v) } else { readable(v) };
        return format_value(&Value::str(&text), None, spec);
    }
    if spec.is_empty() {
        return Ok(display(v));
    }
    let sp = parse_spec(spec)?;
    let what = kind_name(v);
    match sp.ty {
        Some('s') | None if !v.is_number() && !matches!(v, Value::Bool(_)) => {
            format_text(&display(v), &sp)
        }
        Some('s') => format_text(&display(v), &sp),
        Some('r') => format_text(&readable(v), &sp),
        Some(t @ ('d' | 'b' | 'o' | 'x' | 'X' | 'c' | 'n')) => match v {
            Value::Int(i) => format_int(&BigInt::from(*i), t, &sp),
            Value::Big(b) => format_int(b, t, &sp),
            Value::Bool(b) => format_int(&BigInt::from(i64::from(*b)), t, &sp),
            Value::Float(_) if t == 'n' => format_float_spec(as_f64(v), 'g', &sp),
            _ => Err(unknown(t, what)),
        },
        Some(t @ ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%')) => match v {
            Value::Int(_) | Value::Big(_) | Value::Float(_) | Value::Bool(_) => {
                format_float_spec(as_f64(v), t, &sp)
            }
            _ => Err(unknown(t, what)),
        },
        None => match v {
            Value::Int(i) => format_int(&BigInt::from(*i), 'd', &sp),
            Value::Big(b) => format_int(b, 'd', &sp),
            Value::Float(f) => format_float_spec(*f, 'N', &sp),
            // As Python: a bool with a spec but no type is its text.
            _ => format_text(&display(v), &sp),
        },
        Some(t) => Err(unknown(t, what)),
    }
}

fn kind_name(v: &Value) -> String {
    match v {
        Value::Str(_) => "a string".into(),
        Value::Int(_) | Value::Big(_) => "an int".into(),
        Value::Float(_) => "a float".into(),
        other => format!("a {}", other.type_name()),
    }
}

fn unknown(t: char, what: String) -> Exn {
    value_error(format!("Unknown format code '{t}' for {what}"))
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Big(b) => b.to_f64().unwrap_or(f64::INFINITY),
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => f64::NAN,
    }
}

/// Pads `body` (after `prefix`, the sign and base prefix) to the spec's width.
fn pad(prefix: &str, body: &str, sp: &Spec, default_align: char) -> String {
    let len = prefix.chars().count() + body.chars().count();
    let (fill, align) = match (sp.fill, sp.align, sp.zero) {
        (f, Some(a), _) => (f.unwrap_or(' '), a),
        (None, None, true) => ('0', '='),
        _ => (' ', default_align),
    };
    if len >= sp.width {
        return format!("{prefix}{body}");
    }
    let n = sp.width - len;
    let fills = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{prefix}{body}{}", fills(n)),
        '^' => format!("{}{prefix}{body}{}", fills(n / 2), fills(n - n / 2)),
        '=' => format!("{prefix}{}{body}", fills(n)),
        _ => format!("{}{prefix}{body}", fills(n)),
    }
}

fn format_text(s: &str, sp: &Spec) -> Result<String, Exn> {
    if sp.sign.is_some() {
        return Err(value_error("Sign not allowed in string format specifier"));
    }
    if sp.alt {
        return Err(value_error(
            "Alternate form (#) not allowed in string format specifier",
        ));
    }
    if let Some(g) = sp.grouping {
        return Err(value_error(format!("Cannot specify '{g}' with 's'.")));
    }
    if sp.align == Some('=') {
        return Err(value_error(
            "'=' alignment not allowed in string format specifier",
        ));
    }
    let text: String = match sp.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    let mut sp = sp.clone();
    if sp.zero && sp.align.is_none() {
        sp.fill = Some('0');
        sp.align = Some('<');
    }
    Ok(pad("", &text, &sp, '<'))
}

fn sign_prefix(negative: bool, sp: &Spec) -> &'static str {
    match (negative, sp.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

/// Inserts `sep` every `every` digits from the right of `digits`.
fn group(digits: &str, sep: char, every: usize) -> String {
    let cs: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in cs.iter().enumerate() {
        if i > 0 && (cs.len() - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(*c);
    }
    out
}

/// Groups `digits`, first widening them with zeros when the padding is zeros (as Python does,
/// so `{:010,}` gives `00,001,234`).
fn grouped_digits(digits: &str, sp: &Spec, room: usize, every: usize) -> String {
    let Some(sep) = sp.grouping else {
        return digits.to_string();
    };
    let zero_pad = sp.zero && sp.align.is_none() || (sp.fill == Some('0') && sp.align == Some('='));
    let mut d = digits.to_string();
    let mut g = group(&d, sep, every);
    if zero_pad {
        while g.chars().count() < room {
            d.insert(0, '0');
            g = group(&d, sep, every);
        }
    }
    g
}

fn format_int(n: &BigInt, t: char, sp: &Spec) -> Result<String, Exn> {
    if sp.precision.is_some() {
        return Err(value_error(
            "Precision not allowed in integer format specifier",
        ));
    }
    if t == 'c' {
        if sp.sign.is_some() {
            return Err(value_error(
                "Sign not allowed with integer format specifier 'c'",
            ));
        }
        let c = n
            .to_u32()
            .and_then(char::from_u32)
            .ok_or_else(|| value_error("%c arg not in range(0x110000)"))?;
        return Ok(pad("", &c.to_string(), sp, '<'));
    }
    let (radix, base_prefix, every) = match t {
        'b' => (2, "0b", 4),
        'o' => (8, "0o", 4),
        'x' => (16, "0x", 4),
        'X' => (16, "0X", 4),
        _ => (10, "", 3),
    };
    if sp.grouping == Some(',') && radix != 10 {
        return Err(value_error(format!("Cannot specify ',' with '{t}'.")));
    }
    let mut digits = n.abs().to_str_radix(radix);
    if t == 'X' {
        digits = digits.to_uppercase();
    }
    let mut prefix = sign_prefix(n.sign() == Sign::Minus, sp).to_string();
    if sp.alt {
        prefix.push_str(base_prefix);
    }
    let room = sp.width.saturating_sub(prefix.chars().count());
    let body = grouped_digits(&digits, sp, room, every);
    Ok(pad(&prefix, &body, sp, '>'))
}

/// `f` with `p` digits after the point.
fn fixed(x: f64, p: usize) -> String {
    format!("{x:.p$}")
}

/// `e` with `p` digits after the point, Python style: `1.50e+03`.
fn exp(x: f64, p: usize, upper: bool) -> String {
    let s = format!("{x:.p$e}");
    let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let sign = if e < 0 { '-' } else { '+' };
    let out = format!("{mant}e{sign}{:02}", e.abs());
    if upper {
        out.to_uppercase()
    } else {
        out
    }
}

/// The decimal exponent of `x` once rounded to `p` significant digits.
fn exponent_at(x: f64, p: usize) -> i32 {
    let s = format!("{:.*e}", p.saturating_sub(1), x);
    s.split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0)
}

fn strip_zeros(s: &str) -> String {
    if let Some((mant, e)) = s.split_once(['e', 'E']) {
        let sep = if s.contains('E') { 'E' } else { 'e' };
        return format!("{}{sep}{e}", strip_zeros(mant));
    }
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `g` (and the no-type float format with a precision): significant digits, fixed or
/// exponent notation by the exponent.
fn general(x: f64, p: usize, upper: bool, alt: bool, no_type: bool) -> String {
    let p = p.max(1);
    let e = exponent_at(x, p);
    // As CPython: fixed notation while -4 <= exponent < p (p - 1 without a type).
    let limit = if no_type { p as i32 - 1 } else { p as i32 };
    let s = if -4 <= e && e < limit {
        fixed(x, (p as i32 - 1 - e).max(0) as usize)
    } else {
        exp(x, p - 1, upper)
    };
    let mut s = if alt { s } else { strip_zeros(&s) };
    if no_type && !s.contains(['.', 'e', 'E']) {
        s.push_str(".0");
    }
    s
}

fn format_float_spec(x: f64, t: char, sp: &Spec) -> Result<String, Exn> {
    let upper = matches!(t, 'E' | 'F' | 'G');
    let negative = x.is_sign_negative() && !x.is_nan();
    let a = x.abs();
    let body = if a.is_infinite() || a.is_nan() {
        let s = if a.is_nan() { "nan" } else { "inf" };
        let s = if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        };
        if t == '%' {
            s + "%"
        } else {
            s
        }
    } else {
        match t {
            'f' | 'F' => fixed(a, sp.precision.unwrap_or(6)),
            'e' | 'E' => exp(a, sp.precision.unwrap_or(6), upper),
            'g' | 'G' => general(a, sp.precision.unwrap_or(6), upper, sp.alt, false),
            '%' => fixed(a * 100.0, sp.precision.unwrap_or(6)) + "%",
            // No type: repr without a precision, else like g (at least one digit after '.').
            _ => match sp.precision {
                None => format_float(a),
                Some(p) => general(a, p, false, sp.alt, true),
            },
        }
    };
    let body = if sp.alt && matches!(t, 'f' | 'F' | 'e' | 'E' | '%') && !body.contains('.') {
        // '#': always a decimal point.
        match body.find(['e', 'E', '%']) {
            Some(i) => format!("{}.{}", &body[..i], &body[i..]),
            None => body + ".",
        }
    } else {
        body
    };
    let rounds_to_zero = body.chars().all(|c| !c.is_ascii_digit() || c == '0');
    let negative = negative && !(sp.z && rounds_to_zero);
    let prefix = sign_prefix(negative, sp);
    // Grouping applies to the integer part only.
    let body = match sp.grouping {
        Some(_) => {
            let end = body
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(body.len());
            let room = sp
                .width
                .saturating_sub(prefix.len() + body.chars().count() - end);
            let int = grouped_digits(&body[..end], sp, room, 3);
            format!("{int}{}", &body[end..])
        }
        None => body,
    };
    Ok(pad(prefix, &body, sp, '>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(template: &str, args: &[Value]) -> String {
        let mut no_host = |_: &Value, _: Option<char>, _: &str| -> Result<String, Exn> {
            unreachable!("no host values in these tests")
        };
        format_with(template, args, &mut no_host).expect("formats")
    }

    fn err(template: &str, args: &[Value]) -> String {
        let mut no_host = |_: &Value, _: Option<char>, _: &str| -> Result<String, Exn> {
            unreachable!("no host values in these tests")
        };
        let e = format_with(template, args, &mut no_host).expect_err("fails");
        assert_eq!(e.kind.type_name(), "ValueError");
        e.message.clone()
    }

    fn i(n: i64) -> Value {
        Value::Int(n)
    }

    fn s(t: &str) -> Value {
        Value::str(t)
    }

    #[test]
    fn positional_and_escapes() {
        assert_eq!(f("{} has {}", &[s("ann"), i(3)]), "ann has 3");
        assert_eq!(f("{1}{0}{1}", &[i(1), i(2)]), "212");
        assert_eq!(f("{{}} {{{}}}", &[i(7)]), "{} {7}");
        assert_eq!(f("no fields", &[]), "no fields");
    }

    #[test]
    fn conversions() {
        assert_eq!(f("{}|{!s}|{!r}", &[s("q"), s("q"), s("q")]), "q|q|\"q\"");
        assert_eq!(f("{!r:>5}", &[s("q")]), "  \"q\"");
        let v = Value::vector(vec![s("a"), i(1)]);
        assert_eq!(f("{} {!r}", &[v.clone(), v]), "[a 1] [\"a\" 1]");
        assert_eq!(f("{} {}", &[Value::Nil, Value::Bool(true)]), "nil true");
    }

    #[test]
    fn align_fill_width() {
        assert_eq!(f("[{:5}]", &[s("ab")]), "[ab   ]");
        assert_eq!(f("[{:>5}]", &[s("ab")]), "[   ab]");
        assert_eq!(f("[{:*^6}]", &[s("ab")]), "[**ab**]");
        assert_eq!(f("[{:*^7}]", &[s("ab")]), "[**ab***]");
        assert_eq!(f("[{:5}]", &[i(42)]), "[   42]");
        assert_eq!(f("[{:<5}]", &[i(42)]), "[42   ]");
        assert_eq!(f("[{:=+6}]", &[i(42)]), "[+   42]");
        assert_eq!(f("[{:05}]", &[i(-42)]), "[-0042]");
        assert_eq!(f("[{:.2}]", &[s("hello")]), "[he]");
        assert_eq!(f("[{:>{}}]", &[s("x"), i(3)]), "[  x]");
    }

    #[test]
    fn integers() {
        assert_eq!(f("{:d} {:+d} {: d}", &[i(5), i(5), i(5)]), "5 +5  5");
        assert_eq!(f("{:,}", &[i(1234567)]), "1,234,567");
        assert_eq!(f("{:_}", &[i(-1234567)]), "-1_234_567");
        assert_eq!(f("{:010,}", &[i(1234)]), "00,001,234");
        assert_eq!(
            f(
                "{:x} {:X} {:#x} {:o} {:#b}",
                &[i(255), i(255), i(255), i(8), i(5)]
            ),
            "ff FF 0xff 10 0b101"
        );
        assert_eq!(f("{:_b}", &[i(255)]), "1111_1111");
        assert_eq!(f("{:c}", &[i(65)]), "A");
        let big = Value::Big(std::rc::Rc::new(
            "123456789012345678901234567890".parse().unwrap(),
        ));
        assert_eq!(f("{:,}", &[big]), "123,456,789,012,345,678,901,234,567,890");
        assert_eq!(f("{:d}", &[Value::Bool(true)]), "1");
    }

    #[test]
    fn floats() {
        assert_eq!(f("{:.2f}", &[Value::Float(1.23456)]), "1.23");
        assert_eq!(f("{:f}", &[Value::Float(1.5)]), "1.500000");
        assert_eq!(f("{:.2f}", &[i(2)]), "2.00");
        assert_eq!(f("{:e}", &[Value::Float(1234.5)]), "1.234500e+03");
        assert_eq!(f("{:.2E}", &[Value::Float(0.000123)]), "1.23E-04");
        assert_eq!(
            f(
                "{:g} {:g} {:g}",
                &[
                    Value::Float(1234.5),
                    Value::Float(0.00001),
                    Value::Float(1e20)
                ]
            ),
            "1234.5 1e-05 1e+20"
        );
        assert_eq!(f("{:.3g}", &[Value::Float(1234.5)]), "1.23e+03");
        assert_eq!(f("{:.1%}", &[Value::Float(0.256)]), "25.6%");
        assert_eq!(f("{:,.2f}", &[Value::Float(1234567.891)]), "1,234,567.89");
        assert_eq!(f("{:+.1f}", &[Value::Float(2.0)]), "+2.0");
        assert_eq!(f("{:08.3f}", &[Value::Float(-1.23456)]), "-001.235");
        assert_eq!(
            f("{} {:10}", &[Value::Float(0.1), Value::Float(1.0)]),
            "0.1        1.0"
        );
        assert_eq!(
            f(
                "{:.3} {:.3} {:.3}",
                &[Value::Float(123.0), Value::Float(12.0), Value::Float(0.1)]
            ),
            "1.23e+02 12.0 0.1"
        );
        assert_eq!(
            f(
                "{:f} {:F}",
                &[Value::Float(f64::INFINITY), Value::Float(f64::NAN)]
            ),
            "inf NAN"
        );
        assert_eq!(
            f(
                "{:.1f} {:z.1f}",
                &[Value::Float(-0.01), Value::Float(-0.01)]
            ),
            "-0.0 0.0"
        );
        assert_eq!(f("{:#.0f}", &[Value::Float(2.0)]), "2.");
    }

    #[test]
    fn names_and_items() {
        let mut m = crate::runtime::value::Map::new();
        m.insert(Value::keyword(crate::symbol::intern("name")), s("ann"));
        m.insert(s("age"), i(30));
        let m = Value::Map(std::rc::Rc::new(m));
        assert_eq!(
            f("{name} is {age:>3}", std::slice::from_ref(&m)),
            "ann is  30"
        );
        let v = Value::vector(vec![i(10), i(20)]);
        assert_eq!(f("{0[1]} {1[name]}", &[v, m]), "20 ann");
    }

    #[test]
    fn errors() {
        assert!(err("{} {}", &[i(1)]).contains("argument 1"));
        assert!(err("{:d}", &[s("x")]).contains("Unknown format code 'd' for a string"));
        assert!(err("{:.2d}", &[i(1)]).contains("Precision not allowed"));
        assert!(err("{:,x}", &[i(1)]).contains("Cannot specify ','"));
        assert!(err("{", &[]).contains("Single '{'"));
        assert!(err("}", &[]).contains("Single '}'"));
        assert!(err("{:q}", &[i(1)]).contains("Unknown format code 'q'"));
        assert!(err("{:5.2.1f}", &[i(1)]).contains("Invalid format specifier"));
        assert!(err("{!x}", &[i(1)]).contains("Unknown conversion"));
        assert!(err("{0} {}", &[i(1), i(2)]).contains("cannot switch"));
        assert!(err("{name}", &[i(1)]).contains("give a map"));
        assert!(err("{:+}", &[s("x")]).contains("Sign not allowed"));
    }
}
