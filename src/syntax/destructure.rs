//! Destructuring: binding patterns in `let`, `fn`/`defn` parameters and `loop` (and through
//! them `doseq` and `for`). A pattern is parsed here and then expanded by the analyzer into
//! plain bindings: the value goes to a fresh local, and each part of the pattern is bound to a
//! call of a core builtin on it, so the compiler never sees a pattern.
//!
//! - `[a b & more :as all]`: a vector pattern, on anything sequential — Lisp vectors, lists,
//!   strings, nil, and Python sequences and iterables (through the builtin's host path). A
//!   missing item binds `nil`; `more` is the rest as a list, or `nil` when there is none.
//! - `{:keys [a b] :strs [c] :syms [d] :or {a 1} :as m}` and `{x :x [p q] "pt"}`: a map
//!   pattern, read with `get` (so a Python dict or any `obj[key]` works too).
//!
//! Patterns nest. A malformed pattern is a `SyntaxError` at the offending form.

use super::analyze::Analyzer;
use super::convert::datum_to_value;
use super::expr::{BindingId, Call, Expr};
use crate::reader::{Datum, DatumKind};
use crate::runtime::error::{syntax_error, Exn};
use crate::runtime::value::Value;
use crate::source::Span;
use crate::symbol::{gensym, sym, Sym};

/// A parsed binding pattern.
pub enum Pattern {
    Name(Sym),
    Seq {
        items: Vec<Pattern>,
        rest: Option<Box<Pattern>>,
        whole: Option<Sym>,
    },
    Map {
        /// Each part: its pattern, the key it is read at, and the `:or` default if it has one.
        entries: Vec<(Pattern, Value, Option<Datum>)>,
        whole: Option<Sym>,
    },
}

impl Pattern {
    pub fn is_name(&self) -> bool {
        matches!(self, Pattern::Name(_))
    }
}

const WHAT: &str =
    "a binding must be a symbol, a vector pattern [a b & more] or a map pattern {:keys [a b]}";

/// Parses a binding form.
pub fn parse(d: &Datum) -> Result<Pattern, Exn> {
    crate::stack::guarded(|| parse_inner(d))
}

fn parse_inner(d: &Datum) -> Result<Pattern, Exn> {
    match &d.kind {
        DatumKind::Symbol(s) if *s == sym::AMP => Err(syntax_error(
            "`&` may only appear inside a vector pattern or a parameter list",
            d.span,
        )),
        DatumKind::Symbol(s) => Ok(Pattern::Name(*s)),
        DatumKind::Vector(items) => parse_seq(items),
        DatumKind::Map(items) => parse_map(items, d.span),
        _ => Err(syntax_error(format!("{WHAT}, not `{}`", show(d)), d.span)),
    }
}

fn parse_seq(items: &[Datum]) -> Result<Pattern, Exn> {
    let mut out = Vec::new();
    let mut rest = None;
    let mut whole = None;
    let mut i = 0;
    while i < items.len() {
        let d = &items[i];
        if d.as_symbol() == Some(sym::AMP) {
            if rest.is_some() || whole.is_some() {
                return Err(syntax_error(
                    "a vector pattern takes one `&`, before any `:as`",
                    d.span,
                ));
            }
            let Some(r) = items.get(i + 1) else {
                return Err(syntax_error(
                    "`&` must be followed by a pattern for the rest",
                    d.span,
                ));
            };
            rest = Some(Box::new(parse(r)?));
            i += 2;
            continue;
        }
        if matches!(&d.kind, DatumKind::Keyword(k) if &*k.name() == "as") {
            let name = items.get(i + 1).and_then(Datum::as_symbol);
            match name {
                Some(n) if n != sym::AMP && whole.is_none() => whole = Some(n),
                _ => {
                    return Err(syntax_error(
                        "`:as` in a vector pattern must be followed by one name",
                        d.span,
                    ))
                }
            }
            if i + 2 != items.len() {
                return Err(syntax_error(
                    "`:as name` must come last in a vector pattern",
                    d.span,
                ));
            }
            i += 2;
            continue;
        }
        if rest.is_some() {
            return Err(syntax_error(
                "only one pattern may follow `&` (then `:as name`)",
                d.span,
            ));
        }
        out.push(parse(d)?);
        i += 1;
    }
    Ok(Pattern::Seq {
        items: out,
        rest,
        whole,
    })
}

fn parse_map(items: &[Datum], span: Span) -> Result<Pattern, Exn> {
    if !items.len().is_multiple_of(2) {
        return Err(syntax_error(
            "a map pattern needs pairs: {:keys [a b]}, {name :key}, :as name, :or {name default}",
            span,
        ));
    }
    let mut entries = Vec::new();
    let mut whole = None;
    let mut defaults: Vec<(Sym, Span, Datum)> = Vec::new();
    for pair in items.chunks(2) {
        let (k, v) = (&pair[0], &pair[1]);
        let option = match &k.kind {
            DatumKind::Keyword(o) => Some(o.name().to_string()),
            _ => None,
        };
        match option.as_deref() {
            Some(kind @ ("keys" | "strs" | "syms")) => {
                let DatumKind::Vector(names) = &v.kind else {
                    return Err(syntax_error(
                        format!(":{kind} takes a vector of names: {{:{kind} [a b]}}"),
                        v.span,
                    ));
                };
                for n in names {
                    let name = match &n.kind {
                        DatumKind::Symbol(s) if *s != sym::AMP => *s,
                        DatumKind::Keyword(s) if kind == "keys" => *s,
                        _ => {
                            return Err(syntax_error(
                                format!(
                                    "the names after :{kind} must be symbols, not `{}`",
                                    show(n)
                                ),
                                n.span,
                            ))
                        }
                    };
                    let key = match kind {
                        "keys" => Value::keyword(name),
                        "strs" => Value::str(&name.name()),
                        _ => Value::symbol(name),
                    };
                    entries.push((Pattern::Name(name), key, None));
                }
            }
            Some("as") => match v.as_symbol() {
                Some(n) if whole.is_none() && n != sym::AMP => whole = Some(n),
                _ => {
                    return Err(syntax_error(
                        "`:as` in a map pattern must be followed by one name",
                        v.span,
                    ))
                }
            },
            Some("or") => {
                let DatumKind::Map(ds) = &v.kind else {
                    return Err(syntax_error(
                        ":or takes a map from names to defaults: {:keys [a] :or {a 1}}",
                        v.span,
                    ));
                };
                for d in ds.chunks(2) {
                    let Some(n) = d[0].as_symbol() else {
                        return Err(syntax_error(
                            format!("the keys of :or must be names, not `{}`", show(&d[0])),
                            d[0].span,
                        ));
                    };
                    defaults.push((n, d[0].span, d[1].clone()));
                }
            }
            _ => {
                let pat = parse(k)?;
                if matches!(v.kind, DatumKind::Symbol(_) | DatumKind::List(_)) {
                    return Err(syntax_error(
                        format!(
                            "in a map pattern, `{}` should be followed by the key to read (a keyword, string or number), not `{}`",
                            show(k),
                            show(v)
                        ),
                        v.span,
                    ));
                }
                entries.push((pat, datum_to_value(v), None));
            }
        }
    }
    for (name, span, default) in defaults {
        let slot = entries
            .iter_mut()
            .find(|(p, _, _)| matches!(p, Pattern::Name(n) if *n == name));
        match slot {
            Some(entry) => entry.2 = Some(default),
            None => {
                return Err(syntax_error(
                    format!("`{name}` in :or is not bound by this map pattern"),
                    span,
                ))
            }
        }
    }
    Ok(Pattern::Map { entries, whole })
}

fn show(d: &Datum) -> String {
    crate::runtime::printer::readable(&datum_to_value(d))
}

fn core_call(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    let f = crate::runtime::builtins::lookup(name).expect("core builtin exists");
    Expr::Call(Box::new(Call {
        callee: Expr::Const(Value::Builtin(f)),
        args,
        span,
        tail: false,
    }))
}

impl Analyzer<'_> {
    /// Binds `pat` to `value` (already analyzed, in the scope before the pattern), pushing the
    /// bindings in order onto `out`. Returns the binding that holds the whole value.
    pub(crate) fn bind_pattern(
        &mut self,
        pat: &Pattern,
        value: Expr,
        span: Span,
        out: &mut Vec<(BindingId, Expr)>,
    ) -> Result<BindingId, Exn> {
        crate::stack::guarded(|| self.bind_pattern_inner(pat, value, span, out))
    }

    fn bind_pattern_inner(
        &mut self,
        pat: &Pattern,
        value: Expr,
        span: Span,
        out: &mut Vec<(BindingId, Expr)>,
    ) -> Result<BindingId, Exn> {
        match pat {
            Pattern::Name(s) => {
                let b = self.bind_local(*s);
                out.push((b, value));
                Ok(b)
            }
            Pattern::Seq { items, rest, whole } => {
                let tmp = self.bind_local(gensym("vec"));
                out.push((tmp, value));
                if let Some(w) = whole {
                    let b = self.bind_local(*w);
                    out.push((b, Expr::Local(tmp, span)));
                }
                if items.is_empty() && rest.is_none() {
                    return Ok(tmp);
                }
                let n = items.len();
                let parts = self.bind_local(gensym("items"));
                let split = core_call(
                    "destructure-seq",
                    vec![
                        Expr::Local(tmp, span),
                        Expr::Const(Value::Int(n as i64)),
                        Expr::Const(Value::Bool(rest.is_some())),
                    ],
                    span,
                );
                out.push((parts, split));
                let part = |i: usize| {
                    core_call(
                        "get",
                        vec![Expr::Local(parts, span), Expr::Const(Value::Int(i as i64))],
                        span,
                    )
                };
                for (i, p) in items.iter().enumerate() {
                    self.bind_pattern(p, part(i), span, out)?;
                }
                if let Some(r) = rest {
                    self.bind_pattern(r, part(n), span, out)?;
                }
                Ok(tmp)
            }
            Pattern::Map { entries, whole } => {
                let tmp = self.bind_local(gensym("map"));
                out.push((tmp, value));
                if let Some(w) = whole {
                    let b = self.bind_local(*w);
                    out.push((b, Expr::Local(tmp, span)));
                }
                for (p, key, default) in entries {
                    let mut args = vec![Expr::Local(tmp, span), Expr::Const(key.clone())];
                    if let Some(d) = default {
                        args.push(self.expr(d, false)?);
                    }
                    self.bind_pattern(p, core_call("get", args, span), span, out)?;
                }
                Ok(tmp)
            }
        }
    }

    /// A rest parameter destructured by a map pattern takes keyword arguments:
    /// `(fn [& {:keys [a]}] a)` called as `(f :a 1)`.
    pub(crate) fn rest_pattern_value(&self, pat: &Pattern, rest: BindingId, span: Span) -> Expr {
        let local = Expr::Local(rest, span);
        match pat {
            Pattern::Map { .. } => {
                let hash_map = crate::runtime::builtins::lookup("hash-map").expect("core builtin");
                core_call(
                    "apply",
                    vec![Expr::Const(Value::Builtin(hash_map)), local],
                    span,
                )
            }
            _ => local,
        }
    }
}

/// A fresh name for the hidden local that holds a destructured parameter or loop value.
pub fn hidden(prefix: &str) -> Sym {
    gensym(prefix)
}
