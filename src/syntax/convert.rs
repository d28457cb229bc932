//! Between code and data: [`Datum`] (read forms, with spans) and [`Value`] (what macros and
//! `quote` see).
//!
//! Macros take and return values, which have no spans. So that an error inside a macro's output
//! still points at the user's own text, the conversion to values remembers the span of every
//! list, vector and map it built (by the address of its allocation, kept alive for the length of
//! the analysis), and the conversion back looks them up. Forms the macro made itself get the
//! span of the macro call.

use crate::reader::{Datum, DatumKind, Embedded};
use crate::runtime::error::{syntax_error, Exn};
use crate::runtime::value::{List, Map, Value};
use crate::source::Span;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Default)]
pub struct SpanTable {
    /// The form each remembered allocation was made from: a list a macro passes through
    /// unchanged comes back as exactly the user's form, spans of its atoms included.
    forms: HashMap<usize, Datum>,
    /// Keeps every remembered allocation alive, so no address is reused while we look it up.
    keep: Vec<Value>,
}

fn address(v: &Value) -> Option<usize> {
    match v {
        Value::List(List(Some(c))) => Some(Rc::as_ptr(c) as *const u8 as usize),
        Value::Vector(v) => Some(Rc::as_ptr(v) as *const u8 as usize),
        Value::Map(m) => Some(Rc::as_ptr(m) as *const u8 as usize),
        _ => None,
    }
}

impl SpanTable {
    pub fn to_value(&mut self, d: &Datum) -> Value {
        let mut seen = Vec::new();
        let v = datum_to_value_with(d, &mut |v, d| {
            if let Some(a) = address(v) {
                seen.push((a, v.clone(), d.clone()));
            }
        });
        for (a, v, d) in seen {
            self.forms.insert(a, d);
            self.keep.push(v);
        }
        v
    }

    /// Converts a macro's result back into a form. `span` is the macro call's span.
    pub fn to_datum(&self, v: &Value, span: Span) -> Result<Datum, Exn> {
        value_to_datum(
            v,
            span,
            &|v| address(v).and_then(|a| self.forms.get(&a).cloned()),
            0,
        )
    }
}

/// A runtime value as an embedded constant of code.
pub fn embed(v: Value) -> DatumKind {
    DatumKind::Embedded(Embedded(Rc::new(v)))
}

/// The value an embedded constant holds (only the syntax layer makes them, always of values).
pub fn embedded_value(e: &Embedded) -> Value {
    e.0.downcast_ref::<Value>().cloned().unwrap_or_default()
}

/// `quote`: the datum as a value. Spans are dropped.
pub fn datum_to_value(d: &Datum) -> Value {
    datum_to_value_with(d, &mut |_, _| {})
}

fn datum_to_value_with(d: &Datum, note: &mut dyn FnMut(&Value, &Datum)) -> Value {
    let v = match &d.kind {
        DatumKind::Nil => return Value::Nil,
        DatumKind::Bool(b) => return Value::Bool(*b),
        DatumKind::Int(i) => return Value::Int(*i),
        DatumKind::BigInt(b) => return Value::from_bigint(b.clone()),
        DatumKind::Float(f) => return Value::Float(*f),
        DatumKind::Str(s) => return Value::str(s),
        DatumKind::Symbol(s) => return Value::symbol(*s),
        DatumKind::Keyword(s) => return Value::keyword(*s),
        DatumKind::Embedded(e) => return embedded_value(e),
        DatumKind::List(items) => {
            Value::list(items.iter().map(|i| datum_to_value_with(i, note)).collect())
        }
        DatumKind::Vector(items) => {
            Value::vector(items.iter().map(|i| datum_to_value_with(i, note)).collect())
        }
        DatumKind::Map(items) => {
            let mut m = Map::new();
            for pair in items.chunks(2) {
                m.insert(
                    datum_to_value_with(&pair[0], note),
                    datum_to_value_with(&pair[1], note),
                );
            }
            Value::Map(Rc::new(m))
        }
    };
    note(&v, d);
    v
}

/// Values as code. Anything that is not data (a function object, say) is embedded as a constant.
pub fn value_to_datum(
    v: &Value,
    span: Span,
    lookup: &dyn Fn(&Value) -> Option<Datum>,
    depth: usize,
) -> Result<Datum, Exn> {
    if depth > crate::reader::MAX_DEPTH {
        return Err(syntax_error("macro expansion is nested too deeply", span));
    }
    if let Some(original) = lookup(v) {
        return Ok(original);
    }
    let conv = |x: &Value| value_to_datum(x, span, lookup, depth + 1);
    let kind = match v {
        Value::Nil => DatumKind::Nil,
        Value::Bool(b) => DatumKind::Bool(*b),
        Value::Int(i) => DatumKind::Int(*i),
        Value::Big(b) => DatumKind::BigInt((**b).clone()),
        Value::Float(f) => DatumKind::Float(*f),
        Value::Str(s) => DatumKind::Str(s.to_string()),
        // Code names its symbols for good (see `symbol`: a raw `Sym` must not outlive its name).
        Value::Symbol(s) => DatumKind::Symbol(crate::symbol::pin(s.sym())),
        Value::Keyword(s) => DatumKind::Keyword(crate::symbol::pin(s.sym())),
        Value::List(l) => DatumKind::List(l.iter().map(conv).collect::<Result<_, _>>()?),
        Value::Vector(items) => {
            DatumKind::Vector(items.iter().map(conv).collect::<Result<_, _>>()?)
        }
        Value::Map(m) => {
            let mut items = Vec::with_capacity(m.len() * 2);
            for (k, v) in m.iter() {
                items.push(conv(k)?);
                items.push(conv(v)?);
            }
            DatumKind::Map(items)
        }
        other => embed(other.clone()),
    };
    Ok(Datum::new(kind, span))
}
