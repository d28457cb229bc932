//! Python interop forms in the analyzer: `(. obj a b)`, dotted symbols `np.linalg.norm`,
//! `(set! (. obj attr) v)`, `(set! (get obj k) v)`, `(del ...)` and `(batch ...)`. Attribute
//! names written as symbols are Python's with `-` as `_` (`(. df reset-index)`); a string names
//! an attribute exactly. (`$py`, `await`, `py-eval` and friends are
//! ordinary builtins; `with` is a prelude macro.)

use super::analyze::Analyzer;
use super::expr::Expr;
use crate::reader::{Datum, DatumKind};
use crate::runtime::error::{syntax_error, Exn};
use crate::source::Span;
use crate::symbol::{intern, python_name, sym, Sym};

/// `a.b.c` → `("a", ["b", "c"])`, for symbols that look like attribute access.
fn split_dotted(name: &str) -> Option<(&str, Vec<String>)> {
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") || !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.');
    let head = parts.next()?;
    Some((head, parts.map(python_name).collect()))
}

fn attr_name(d: &Datum) -> Result<String, Exn> {
    match &d.kind {
        DatumKind::Symbol(s) | DatumKind::Keyword(s) => Ok(python_name(&s.name())),
        DatumKind::Str(s) => Ok(s.clone()),
        _ => Err(syntax_error(
            "an attribute name must be a symbol or a string",
            d.span,
        )),
    }
}

impl Analyzer<'_> {
    /// Is this name bound (a local, or a global with a value) right now?
    fn bound(&mut self, name: Sym) -> bool {
        self.has_local(name) || self.vm.global_value(name).is_some()
    }

    /// `np.sum` when `np` is bound and `np.sum` itself is not.
    pub(crate) fn py_dotted_symbol(&mut self, s: Sym, span: Span) -> Result<Option<Expr>, Exn> {
        let name = s.name();
        let Some((head, path)) = split_dotted(&name) else {
            return Ok(None);
        };
        if self.vm.global_value(s).is_some() {
            return Ok(None);
        }
        let head = intern(head);
        if !self.bound(head) {
            return Ok(None);
        }
        let target = Datum::new(DatumKind::Symbol(head), span);
        let target = self.expr(&target, false)?;
        Ok(Some(Expr::Attr(Box::new(target), path, span)))
    }

    pub(crate) fn py_special_form(
        &mut self,
        head: Sym,
        d: &Datum,
        items: &[Datum],
        tail: bool,
    ) -> Result<Option<Expr>, Exn> {
        let span = d.span;
        match head {
            sym::DOT => {
                if items.len() < 3 {
                    return Err(syntax_error(
                        "usage: (. object attribute more-attributes...)",
                        span,
                    ));
                }
                let target = self.expr(&items[1], false)?;
                let path = items[2..]
                    .iter()
                    .map(attr_name)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Expr::Attr(Box::new(target), path, span)))
            }
            sym::DEL => self.del_form(items, span).map(Some),
            sym::BATCH => {
                let body = self.body_of(&items[1..], tail)?;
                Ok(Some(Expr::Batch(Box::new(body))))
            }
            _ => Ok(None),
        }
    }

    /// `(del (get obj k))`, `(del (. obj a b))`, `(del obj.a.b)`.
    fn del_form(&mut self, items: &[Datum], span: Span) -> Result<Expr, Exn> {
        let usage = || {
            syntax_error(
                "usage: (del (get object key)) or (del (. object attribute))",
                span,
            )
        };
        let [_, place] = items else {
            return Err(usage());
        };
        if let DatumKind::List(parts) = &place.kind {
            if parts.first().and_then(Datum::as_symbol) == Some(sym::GET) {
                let [_, target, key] = parts.as_slice() else {
                    return Err(usage());
                };
                let (t, k) = (self.expr(target, false)?, self.expr(key, false)?);
                return Ok(Expr::DelItem(Box::new(t), Box::new(k), span));
            }
        }
        match self.attribute_place(place)? {
            Some((t, path)) => Ok(Expr::DelAttr(Box::new(t), path, span)),
            None => Err(usage()),
        }
    }

    /// `(. obj a b)` or `obj.a.b` as a place: the target and the attribute path.
    fn attribute_place(&mut self, place: &Datum) -> Result<Option<(Expr, Vec<String>)>, Exn> {
        Ok(Some(match &place.kind {
            DatumKind::List(items)
                if items.first().and_then(Datum::as_symbol) == Some(sym::DOT) =>
            {
                if items.len() < 3 {
                    return Err(syntax_error(
                        "usage: (. object attribute more-attributes...)",
                        place.span,
                    ));
                }
                let path = items[2..]
                    .iter()
                    .map(attr_name)
                    .collect::<Result<Vec<_>, _>>()?;
                (self.expr(&items[1], false)?, path)
            }
            DatumKind::Symbol(s) => {
                let name = s.name();
                match split_dotted(&name) {
                    Some((head, path))
                        if self.vm.global_value(*s).is_none() && self.bound(intern(head)) =>
                    {
                        let t = Datum::new(DatumKind::Symbol(intern(head)), place.span);
                        (self.expr(&t, false)?, path)
                    }
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        }))
    }

    /// `(set! (. obj a b) v)`, `(set! obj.a.b v)` or `(set! (get obj k) v)`.
    pub(crate) fn py_set_form(&mut self, args: &[Datum], span: Span) -> Result<Option<Expr>, Exn> {
        if let DatumKind::List(parts) = &args[0].kind {
            if parts.first().and_then(Datum::as_symbol) == Some(sym::GET) {
                let [_, target, key] = parts.as_slice() else {
                    return Err(syntax_error(
                        "usage: (set! (get object key) value)",
                        args[0].span,
                    ));
                };
                let (t, k) = (self.expr(target, false)?, self.expr(key, false)?);
                let v = self.expr(&args[1], false)?;
                return Ok(Some(Expr::SetItem(
                    Box::new(t),
                    Box::new(k),
                    Box::new(v),
                    span,
                )));
            }
        }
        let Some((target, path)) = self.attribute_place(&args[0])? else {
            return Ok(None);
        };
        let value = self.expr(&args[1], false)?;
        Ok(Some(Expr::SetAttr(
            Box::new(target),
            path,
            Box::new(value),
            span,
        )))
    }
}
