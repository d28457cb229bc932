//! Quasiquote expansion: `` `(a ,b ,@c) `` becomes `(concat (list (quote a)) (list b) c)`,
//! built from the core builtins themselves (embedded as values, so a user who rebinds `list`
//! does not break macros). Nested quasiquotes keep their inner unquotes for the next level.

use crate::reader::{Datum, DatumKind};
use crate::runtime::builtins;
use crate::runtime::error::{syntax_error, Exn};
use crate::runtime::value::Value;
use crate::symbol::sym;

fn builtin(name: &str, d: &Datum) -> Datum {
    let f = builtins::lookup(name).expect("core builtin exists");
    Datum::new(super::convert::embed(Value::Builtin(f)), d.span)
}

fn call(name: &str, args: Vec<Datum>, d: &Datum) -> Datum {
    let mut items = vec![builtin(name, d)];
    items.extend(args);
    Datum::new(DatumKind::List(items), d.span)
}

fn quote(d: &Datum) -> Datum {
    Datum::new(
        DatumKind::List(vec![
            Datum::new(DatumKind::Symbol(sym::QUOTE), d.span),
            d.clone(),
        ]),
        d.span,
    )
}

/// `(head x)` where head is one of the quasiquote symbols: returns x.
fn tagged(d: &Datum, tag: crate::symbol::Sym) -> Option<&Datum> {
    match &d.kind {
        DatumKind::List(items) if items.len() == 2 && items[0].as_symbol() == Some(tag) => {
            Some(&items[1])
        }
        _ => None,
    }
}

fn has_unquote(d: &Datum) -> bool {
    match &d.kind {
        DatumKind::List(items) => {
            matches!(items.first().and_then(Datum::as_symbol), Some(s) if s == sym::UNQUOTE || s == sym::UNQUOTE_SPLICING)
                || items.iter().any(has_unquote)
        }
        DatumKind::Vector(items) | DatumKind::Map(items) => items.iter().any(has_unquote),
        _ => false,
    }
}

pub fn expand(d: &Datum, depth: usize) -> Result<Datum, Exn> {
    if !has_unquote(d) {
        return Ok(quote(d));
    }
    if let Some(inner) = tagged(d, sym::UNQUOTE) {
        if depth == 1 {
            return Ok(inner.clone());
        }
        let tag = quote(&Datum::new(DatumKind::Symbol(sym::UNQUOTE), d.span));
        return Ok(call("list", vec![tag, expand(inner, depth - 1)?], d));
    }
    if tagged(d, sym::UNQUOTE_SPLICING).is_some() && depth == 1 {
        return Err(syntax_error(
            "`,@` splices into a list or vector; it cannot stand alone",
            d.span,
        ));
    }
    if let Some(inner) = tagged(d, sym::QUASIQUOTE) {
        let tag = quote(&Datum::new(DatumKind::Symbol(sym::QUASIQUOTE), d.span));
        return Ok(call("list", vec![tag, expand(inner, depth + 1)?], d));
    }
    let items = match &d.kind {
        DatumKind::List(items) | DatumKind::Vector(items) | DatumKind::Map(items) => items,
        _ => return Ok(quote(d)),
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        match tagged(item, sym::UNQUOTE_SPLICING) {
            Some(spliced) if depth == 1 => parts.push(spliced.clone()),
            _ => parts.push(call("list", vec![expand(item, depth)?], item)),
        }
    }
    let joined = call("concat", parts, d);
    Ok(match &d.kind {
        DatumKind::Vector(_) => call("vec", vec![joined], d),
        DatumKind::Map(_) => call("apply", vec![builtin("hash-map", d), joined], d),
        _ => joined,
    })
}
