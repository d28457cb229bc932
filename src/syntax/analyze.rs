//! The analyzer: one read form to an [`Analysis`]. Expands macros (calling back into the VM),
//! recognises the special forms, resolves every symbol to a local binding or a global slot, and
//! records which bindings closures capture or `set!`, which the compiler needs to lay out frames.
//!
//! Special forms: `quote quasiquote if do def let fn defmacro set! and or try loop recur`.
//! Everything else in the core (`defn when cond dotimes ->` ...) is a macro in `lisp/prelude.lisp`.

use super::convert::{datum_to_value, SpanTable};
use super::destructure::{self, Pattern};
use super::expr::*;
use super::quasi;
use crate::reader::{Datum, DatumKind};
use crate::runtime::error::{syntax_error, ErrorKind, Exn, LispError};
use crate::runtime::value::Value;
use crate::runtime::Vm;
use crate::source::Span;
use crate::symbol::{sym, Sym};
use std::rc::Rc;

struct FnCtx {
    id: FnId,
    scopes: Vec<Vec<(Sym, BindingId)>>,
    /// Innermost last: the bindings each enclosing `loop` rebinds on `recur`.
    loops: Vec<Vec<BindingId>>,
    /// The function's own parameters, the `recur` target outside any loop.
    params: Vec<BindingId>,
    self_recur: bool,
    /// Inside the body of a `loop` that is not itself in tail position: `recur` is fine there,
    /// but a call is not a tail call of the function.
    non_tail_loops: usize,
}

pub struct Analyzer<'vm> {
    pub(crate) vm: &'vm mut Vm,
    bindings: Vec<BindingInfo>,
    fns: Vec<FnInfo>,
    ctx: Vec<FnCtx>,
    spans: SpanTable,
    macro_depth: usize,
}

/// Deepest chain of macro expansions (a macro expanding into itself forever ends here).
const MAX_EXPANSION_DEPTH: usize = 500;

pub fn analyze(vm: &mut Vm, form: &Datum) -> Result<Analysis, Exn> {
    let mut a = Analyzer {
        vm,
        bindings: Vec::new(),
        fns: vec![FnInfo::default()],
        ctx: vec![FnCtx {
            id: 0,
            scopes: vec![Vec::new()],
            loops: Vec::new(),
            params: Vec::new(),
            self_recur: false,
            non_tail_loops: 0,
        }],
        spans: SpanTable::default(),
        macro_depth: 0,
    };
    let expr = a.expr(form, true)?;
    if a.ctx[0].self_recur {
        return Err(syntax_error(
            "`recur` outside of a `fn` or `loop`",
            form.span,
        ));
    }
    Ok(Analysis {
        expr,
        bindings: a.bindings,
        fns: a.fns,
        span: form.span,
    })
}

/// Expands `form` once if it is a macro call (`macroexpand-1`), else returns it unchanged.
pub fn macroexpand_1(vm: &mut Vm, form: &Datum) -> Result<(Datum, bool), Exn> {
    let mut a = Analyzer {
        vm,
        bindings: Vec::new(),
        fns: vec![FnInfo::default()],
        ctx: vec![],
        spans: SpanTable::default(),
        macro_depth: 0,
    };
    if let DatumKind::List(items) = &form.kind {
        if let Some(head) = items.first().and_then(Datum::as_symbol) {
            if let Some(m) = a.macro_named(head) {
                return Ok((a.expand(m, form, items)?, true));
            }
        }
    }
    Ok((form.clone(), false))
}

impl<'vm> Analyzer<'vm> {
    fn cur(&mut self) -> &mut FnCtx {
        self.ctx.last_mut().expect("analyzer always has a context")
    }

    fn bind(&mut self, name: Sym) -> BindingId {
        let owner = self.cur().id;
        let slot = self.fns[owner].frame_size;
        self.fns[owner].frame_size += 1;
        let id = self.bindings.len();
        self.bindings.push(BindingInfo {
            name,
            owner,
            slot,
            captured: false,
            mutated: false,
        });
        self.cur()
            .scopes
            .last_mut()
            .expect("a scope is open")
            .push((name, id));
        id
    }

    pub(crate) fn bind_local(&mut self, name: Sym) -> BindingId {
        self.bind(name)
    }

    fn push_scope(&mut self) {
        self.cur().scopes.push(Vec::new());
    }

    fn pop_scope(&mut self) {
        self.cur().scopes.pop();
    }

    /// A local binding visible here, marking it captured if it belongs to an outer function.
    fn lookup_local(&mut self, name: Sym) -> Option<BindingId> {
        let depth = self.ctx.len();
        for level in (0..depth).rev() {
            let found = self.ctx[level]
                .scopes
                .iter()
                .rev()
                .flat_map(|s| s.iter().rev())
                .find(|(n, _)| *n == name)
                .map(|(_, b)| *b);
            if let Some(b) = found {
                if level + 1 < depth {
                    self.bindings[b].captured = true;
                    for inner in level + 1..depth {
                        let f = self.ctx[inner].id;
                        if !self.fns[f].captures.contains(&b) {
                            self.fns[f].captures.push(b);
                        }
                    }
                }
                return Some(b);
            }
        }
        None
    }

    pub(crate) fn has_local(&self, name: Sym) -> bool {
        self.is_local(name)
    }

    pub(crate) fn body_of(&mut self, items: &[Datum], tail: bool) -> Result<Expr, Exn> {
        self.body(items, tail)
    }

    fn is_local(&self, name: Sym) -> bool {
        self.ctx
            .iter()
            .any(|c| c.scopes.iter().any(|s| s.iter().any(|(n, _)| *n == name)))
    }

    fn macro_named(&mut self, name: Sym) -> Option<Rc<crate::runtime::value::Closure>> {
        if self.is_local(name) {
            return None;
        }
        match self.vm.global_value(name) {
            Some(Value::Macro(ref m)) => Some(m.clone()),
            _ => None,
        }
    }

    fn expand(
        &mut self,
        mac: Rc<crate::runtime::value::Closure>,
        form: &Datum,
        items: &[Datum],
    ) -> Result<Datum, Exn> {
        let args: Vec<Value> = items[1..].iter().map(|d| self.spans.to_value(d)).collect();
        let name = items[0].as_symbol().map(|s| s.name().to_string());
        let saved = std::mem::replace(&mut self.vm.call_span, form.span);
        let result = self.vm.apply(&Value::Func(mac), args);
        self.vm.call_span = saved;
        let result = result.map_err(|mut e| {
            // A macro that rejects its input (`syntax-error`) blames the form it was given.
            if e.kind == ErrorKind::Syntax {
                e.span = Some(form.span);
                e.trace.clear();
            }
            // The macro's own frame names it; say that it ran as a macro.
            if let Some(last) = e.trace.last_mut() {
                if Some(&last.function) == name.as_ref() {
                    last.function = format!("macro {}", last.function);
                }
            }
            e.at(form.span)
        })?;
        self.spans.to_datum(&result, form.span)
    }

    pub(crate) fn expr(&mut self, d: &Datum, tail: bool) -> Result<Expr, Exn> {
        crate::stack::guarded(|| self.expr_inner(d, tail))
    }

    fn expr_inner(&mut self, d: &Datum, tail: bool) -> Result<Expr, Exn> {
        match &d.kind {
            DatumKind::Symbol(s) => self.symbol(*s, d.span),
            DatumKind::List(items) if items.is_empty() => Ok(Expr::Const(Value::list(vec![]))),
            DatumKind::List(items) => self.list(d, items, tail),
            DatumKind::Vector(items) => {
                if items.iter().all(is_literal) {
                    return Ok(Expr::Const(datum_to_value(d)));
                }
                let args = self.exprs(items)?;
                Ok(builtin_call("vector", args, d.span))
            }
            DatumKind::Map(items) => {
                if items.iter().all(is_literal) {
                    return Ok(Expr::Const(datum_to_value(d)));
                }
                let args = self.exprs(items)?;
                Ok(builtin_call("hash-map", args, d.span))
            }
            _ => Ok(Expr::Const(datum_to_value(d))),
        }
    }

    fn exprs(&mut self, items: &[Datum]) -> Result<Vec<Expr>, Exn> {
        items.iter().map(|d| self.expr(d, false)).collect()
    }

    fn body(&mut self, items: &[Datum], tail: bool) -> Result<Expr, Exn> {
        match items.len() {
            0 => Ok(Expr::Const(Value::Nil)),
            1 => self.expr(&items[0], tail),
            n => {
                let mut out = Vec::with_capacity(n);
                for (i, d) in items.iter().enumerate() {
                    out.push(self.expr(d, tail && i + 1 == n)?);
                }
                Ok(Expr::Do(out))
            }
        }
    }

    fn symbol(&mut self, s: Sym, span: Span) -> Result<Expr, Exn> {
        if let Some(b) = self.lookup_local(s) {
            return Ok(Expr::Local(b, span));
        }
        if let Some(e) = self.py_dotted_symbol(s, span)? {
            return Ok(e);
        }
        Ok(Expr::Global(self.vm.global_id(s), span))
    }

    fn list(&mut self, d: &Datum, items: &[Datum], tail: bool) -> Result<Expr, Exn> {
        let span = d.span;
        if let Some(head) = items[0].as_symbol() {
            if !self.is_local(head) {
                if let Some(e) = self.special_form(head, d, items, tail)? {
                    return Ok(e);
                }
            }
            if let Some(m) = self.macro_named(head) {
                self.macro_depth += 1;
                if self.macro_depth > MAX_EXPANSION_DEPTH {
                    return Err(syntax_error(
                        format!("macro `{head}` expands without end (over {MAX_EXPANSION_DEPTH} levels)"),
                        span,
                    ));
                }
                let expanded = self.expand(m, d, items)?;
                let r = self.expr(&expanded, tail);
                self.macro_depth -= 1;
                return r;
            }
        }
        let callee = self.expr(&items[0], false)?;
        let args = self.exprs(&items[1..])?;
        let tail = tail && self.cur().non_tail_loops == 0;
        Ok(Expr::Call(Box::new(Call {
            callee,
            args,
            span,
            tail,
        })))
    }

    fn special_form(
        &mut self,
        head: Sym,
        d: &Datum,
        items: &[Datum],
        tail: bool,
    ) -> Result<Option<Expr>, Exn> {
        let span = d.span;
        let args = &items[1..];
        let e = match head {
            sym::QUOTE => {
                expect_count(args, 1, 1, "(quote form)", span)?;
                Expr::Const(datum_to_value(&args[0]))
            }
            sym::QUASIQUOTE => {
                expect_count(args, 1, 1, "(quasiquote form)", span)?;
                let expanded = quasi::expand(&args[0], 1)?;
                self.expr(&expanded, tail)?
            }
            sym::UNQUOTE | sym::UNQUOTE_SPLICING => {
                return Err(syntax_error(
                    format!("`{head}` (`,`) outside of a quasiquote (`` ` ``)"),
                    span,
                ))
            }
            sym::IF => {
                expect_count(args, 2, 3, "(if test then else?)", span)?;
                let test = self.expr(&args[0], false)?;
                let then = self.expr(&args[1], tail)?;
                let other = match args.get(2) {
                    Some(e) => self.expr(e, tail)?,
                    None => Expr::Const(Value::Nil),
                };
                Expr::If(Box::new(test), Box::new(then), Box::new(other))
            }
            sym::DO => self.body(args, tail)?,
            sym::DEF => self.def(args, span)?,
            sym::LET => self.let_form(args, span, tail)?,
            sym::FN => self.fn_expr(args, span)?,
            sym::DEFMACRO => {
                let Some(name) = args.first().and_then(Datum::as_symbol) else {
                    return Err(syntax_error(
                        "usage: (defmacro name (params) body...)",
                        span,
                    ));
                };
                let mut rest = &args[1..];
                if let Some(DatumKind::Str(doc)) = rest.first().map(|d| &d.kind) {
                    if rest.len() > 1 {
                        let id = self.vm.global_id(name);
                        self.vm.docs.insert(id, doc.clone());
                        rest = &rest[1..];
                    }
                }
                let f = self.fn_form(rest, span, Some(name))?;
                Expr::DefMacro(self.vm.global_id(name), f, span)
            }
            sym::SET => self.set_form(args, span)?,
            sym::AND => Expr::And(self.exprs(args)?),
            sym::OR => Expr::Or(self.exprs(args)?),
            sym::TRY => self.try_form(args, span)?,
            sym::LOOP => self.loop_form(args, span, tail)?,
            sym::RECUR => self.recur_form(args, span, tail)?,
            _ => return self.py_special_form(head, d, items, tail),
        };
        Ok(Some(e))
    }

    fn def(&mut self, args: &[Datum], span: Span) -> Result<Expr, Exn> {
        let usage = "usage: (def name value) or (def name \"doc\" value)";
        let Some(name) = args.first().and_then(Datum::as_symbol) else {
            return Err(syntax_error(usage, span));
        };
        let value = match args.len() {
            1 => Expr::Const(Value::Nil),
            2 => self.named_expr(&args[1], name)?,
            3 => match &args[1].kind {
                DatumKind::Str(doc) => {
                    let id = self.vm.global_id(name);
                    self.vm.docs.insert(id, doc.clone());
                    self.named_expr(&args[2], name)?
                }
                _ => return Err(syntax_error(usage, span)),
            },
            _ => return Err(syntax_error(usage, span)),
        };
        Ok(Expr::Def(self.vm.global_id(name), Box::new(value), span))
    }

    /// Analyzes `d`, giving an anonymous `fn` the name it is bound to (for stack traces).
    fn named_expr(&mut self, d: &Datum, name: Sym) -> Result<Expr, Exn> {
        if let DatumKind::List(items) = &d.kind {
            if items.first().and_then(Datum::as_symbol) == Some(sym::FN) && !self.is_local(sym::FN)
            {
                let has_name = items.get(1).and_then(Datum::as_symbol).is_some();
                if !has_name {
                    return Ok(Expr::Fn(self.fn_form(&items[1..], d.span, Some(name))?));
                }
            }
        }
        self.expr(d, false)
    }

    /// The `[pattern value ...]` or `((pattern value) ...)` pairs of `let` and `loop`.
    fn bindings_of<'d>(
        &self,
        d: &'d Datum,
        what: &str,
    ) -> Result<Vec<(Pattern, Span, &'d Datum)>, Exn> {
        let bad = |span| {
            syntax_error(
                format!("{what} bindings: write [a 1 b 2] or ((a 1) (b 2))"),
                span,
            )
        };
        let mut out = Vec::new();
        match &d.kind {
            DatumKind::Vector(items) => {
                if items.len() % 2 != 0 {
                    return Err(bad(d.span));
                }
                for pair in items.chunks(2) {
                    out.push((destructure::parse(&pair[0])?, pair[0].span, &pair[1]));
                }
            }
            DatumKind::List(items) => {
                for item in items {
                    match &item.kind {
                        DatumKind::List(p) | DatumKind::Vector(p) if p.len() == 2 => {
                            out.push((destructure::parse(&p[0])?, p[0].span, &p[1]));
                        }
                        _ => return Err(bad(item.span)),
                    }
                }
            }
            _ => return Err(bad(d.span)),
        }
        Ok(out)
    }

    fn let_form(&mut self, args: &[Datum], span: Span, tail: bool) -> Result<Expr, Exn> {
        let Some(spec) = args.first() else {
            return Err(syntax_error("usage: (let [name value ...] body...)", span));
        };
        let pairs = self.bindings_of(spec, "let")?;
        self.push_scope();
        let mut bound = Vec::with_capacity(pairs.len());
        let r = self.let_bindings(&pairs, &mut bound);
        let body = r.and_then(|()| self.body(&args[1..], tail));
        self.pop_scope();
        Ok(Expr::Let(bound, Box::new(body?)))
    }

    fn let_bindings(
        &mut self,
        pairs: &[(Pattern, Span, &Datum)],
        bound: &mut Vec<(BindingId, Expr)>,
    ) -> Result<(), Exn> {
        for (pat, pspan, value) in pairs {
            let v = match pat {
                Pattern::Name(name) => self.named_expr(value, *name)?,
                _ => self.expr(value, false)?,
            };
            self.bind_pattern(pat, v, *pspan, bound)?;
        }
        Ok(())
    }

    fn loop_form(&mut self, args: &[Datum], span: Span, tail: bool) -> Result<Expr, Exn> {
        let Some(spec) = args.first() else {
            return Err(syntax_error("usage: (loop [name init ...] body...)", span));
        };
        let pairs = self.bindings_of(spec, "loop")?;
        if pairs.iter().all(|(p, _, _)| p.is_name()) {
            self.push_scope();
            let mut bound = Vec::with_capacity(pairs.len());
            for (pat, _, value) in &pairs {
                let Pattern::Name(name) = pat else {
                    unreachable!("checked: only names")
                };
                let v = self.expr(value, false)?;
                bound.push((self.bind(*name), v));
            }
            let r = self.loop_body(bound, Vec::new(), &args[1..], tail);
            self.pop_scope();
            return r;
        }
        // With patterns, as Clojure does: the initial values are bound (and destructured)
        // first, then the loop rebinds one hidden local per pattern and destructures it again
        // on every iteration, so `recur` takes one value per binding form.
        self.push_scope();
        let mut outer = Vec::new();
        let mut roots = Vec::with_capacity(pairs.len());
        for (pat, pspan, value) in &pairs {
            let v = self.expr(value, false)?;
            roots.push(self.bind_pattern(pat, v, *pspan, &mut outer)?);
        }
        self.push_scope();
        let mut bound = Vec::with_capacity(pairs.len());
        let mut again = Vec::new();
        for ((pat, pspan, _), root) in pairs.iter().zip(roots) {
            let name = match pat {
                Pattern::Name(n) => *n,
                _ => destructure::hidden("loop"),
            };
            let b = self.bind(name);
            bound.push((b, Expr::Local(root, *pspan)));
            if !pat.is_name() {
                again.push((pat, b, *pspan));
            }
        }
        let r = self.loop_body(bound, again, &args[1..], tail);
        self.pop_scope();
        self.pop_scope();
        Ok(Expr::Let(outer, Box::new(r?)))
    }

    /// The loop over `bound`, its body destructuring the `again` patterns on each iteration.
    fn loop_body(
        &mut self,
        bound: Vec<(BindingId, Expr)>,
        again: Vec<(&Pattern, BindingId, Span)>,
        body: &[Datum],
        tail: bool,
    ) -> Result<Expr, Exn> {
        let targets = bound.iter().map(|(b, _)| *b).collect();
        self.cur().loops.push(targets);
        if !tail {
            self.cur().non_tail_loops += 1;
        }
        self.push_scope();
        let mut inner = Vec::new();
        let mut r = Ok(());
        for (pat, b, pspan) in again {
            if let Err(e) = self.bind_pattern(pat, Expr::Local(b, pspan), pspan, &mut inner) {
                r = Err(e);
                break;
            }
        }
        let body = r.and_then(|()| self.body(body, true));
        self.pop_scope();
        if !tail {
            self.cur().non_tail_loops -= 1;
        }
        self.cur().loops.pop();
        let body = body?;
        let body = if inner.is_empty() {
            body
        } else {
            Expr::Let(inner, Box::new(body))
        };
        Ok(Expr::Loop(Box::new(LoopExpr {
            bindings: bound,
            body,
        })))
    }

    fn recur_form(&mut self, args: &[Datum], span: Span, tail: bool) -> Result<Expr, Exn> {
        if !tail {
            return Err(syntax_error(
                "`recur` must be in tail position (the last thing its `loop` or `fn` does)",
                span,
            ));
        }
        let ctx = self.cur();
        let targets = match ctx.loops.last() {
            Some(t) => t.clone(),
            None => {
                ctx.self_recur = true;
                ctx.params.clone()
            }
        };
        if targets.len() != args.len() {
            return Err(syntax_error(
                format!(
                    "`recur` takes {} argument(s) here (one per binding), not {}",
                    targets.len(),
                    args.len()
                ),
                span,
            ));
        }
        let values = self.exprs(args)?;
        Ok(Expr::Recur(targets, values, span))
    }

    /// `(fn name [params] body...)` can call itself by `name`: the name is bound around it.
    fn fn_expr(&mut self, args: &[Datum], span: Span) -> Result<Expr, Exn> {
        let Some(name) = args.first().and_then(Datum::as_symbol) else {
            return Ok(Expr::Fn(self.fn_form(args, span, None)?));
        };
        self.push_scope();
        let b = self.bind(name);
        self.bindings[b].mutated = true;
        let f = self.fn_form(args, span, None);
        self.pop_scope();
        let f = f?;
        Ok(Expr::Let(
            vec![(b, Expr::Const(Value::Nil))],
            Box::new(Expr::Do(vec![
                Expr::SetLocal(b, Box::new(Expr::Fn(f)), span),
                Expr::Local(b, span),
            ])),
        ))
    }

    /// `(fn name? (params) body...)`; params in `()` or `[]`, `&` before a rest parameter.
    pub(crate) fn fn_form(
        &mut self,
        args: &[Datum],
        span: Span,
        mut name: Option<Sym>,
    ) -> Result<Rc<FnExpr>, Exn> {
        let usage = "usage: (fn name? [params] body...)";
        let mut args = args;
        if let Some(n) = args.first().and_then(Datum::as_symbol) {
            name = Some(n);
            args = &args[1..];
        }
        let Some(params_d) = args.first() else {
            return Err(syntax_error(usage, span));
        };
        let params_items = match &params_d.kind {
            DatumKind::List(p) | DatumKind::Vector(p) => p,
            _ => return Err(syntax_error(usage, params_d.span)),
        };
        let mut names = Vec::new();
        let mut patterns: Vec<(usize, Pattern, Span)> = Vec::new();
        let mut rest = None;
        let mut rest_pattern = None;
        let mut i = 0;
        while i < params_items.len() {
            let p = &params_items[i];
            if p.as_symbol() == Some(sym::AMP) {
                let Some(r) = params_items.get(i + 1) else {
                    return Err(syntax_error(
                        "`&` must be followed by one rest parameter",
                        p.span,
                    ));
                };
                if i + 2 != params_items.len() {
                    return Err(syntax_error("only one parameter may follow `&`", p.span));
                }
                match destructure::parse(r)? {
                    Pattern::Name(s) => rest = Some(s),
                    pat => {
                        rest = Some(destructure::hidden("rest"));
                        rest_pattern = Some((pat, r.span));
                    }
                }
                break;
            }
            match destructure::parse(p).map_err(|e| {
                if p.as_symbol().is_none() && !matches!(p.kind, DatumKind::Vector(_) | DatumKind::Map(_)) {
                    syntax_error(
                        format!("a parameter must be a symbol or a destructuring pattern ([a b] or {{:keys [a]}}), not `{}`", crate::runtime::printer::readable(&datum_to_value(p))),
                        p.span,
                    )
                } else {
                    e
                }
            })? {
                Pattern::Name(s) => names.push(s),
                pat => {
                    patterns.push((names.len(), pat, p.span));
                    names.push(destructure::hidden("arg"));
                }
            }
            i += 1;
        }
        let id = self.fns.len();
        let parent = Some(self.cur().id);
        self.fns.push(FnInfo {
            parent,
            ..FnInfo::default()
        });
        self.ctx.push(FnCtx {
            id,
            scopes: vec![Vec::new()],
            loops: Vec::new(),
            params: Vec::new(),
            self_recur: false,
            non_tail_loops: 0,
        });
        let params: Vec<BindingId> = names.iter().map(|n| self.bind(*n)).collect();
        let rest_b = rest.map(|r| self.bind(r));
        let mut recur_targets = params.clone();
        recur_targets.extend(rest_b);
        self.cur().params = recur_targets;
        let mut unpack = Vec::new();
        let mut r = Ok(());
        for (i, pat, pspan) in &patterns {
            if let Err(e) =
                self.bind_pattern(pat, Expr::Local(params[*i], *pspan), *pspan, &mut unpack)
            {
                r = Err(e);
                break;
            }
        }
        if let (Ok(()), Some((pat, pspan)), Some(rb)) = (&r, &rest_pattern, rest_b) {
            let v = self.rest_pattern_value(pat, rb, *pspan);
            if let Err(e) = self.bind_pattern(pat, v, *pspan, &mut unpack) {
                r = Err(e);
            }
        }
        let body = r.and_then(|()| self.body(&args[1..], true));
        let ctx = self.ctx.pop().expect("pushed above");
        let body = body?;
        let body = if unpack.is_empty() {
            body
        } else {
            Expr::Let(unpack, Box::new(body))
        };
        Ok(Rc::new(FnExpr {
            id,
            name,
            params,
            rest: rest_b,
            body,
            span,
            self_recur: ctx.self_recur,
        }))
    }

    fn set_form(&mut self, args: &[Datum], span: Span) -> Result<Expr, Exn> {
        if args.len() != 2 {
            return Err(syntax_error("usage: (set! name value)", span));
        }
        if let Some(e) = self.py_set_form(args, span)? {
            return Ok(e);
        }
        let Some(name) = args[0].as_symbol() else {
            return Err(syntax_error(
                "`set!` takes a symbol or an attribute `(. obj attr)`",
                args[0].span,
            ));
        };
        let value = self.expr(&args[1], false)?;
        if let Some(b) = self.lookup_local(name) {
            self.bindings[b].mutated = true;
            return Ok(Expr::SetLocal(b, Box::new(value), span));
        }
        Ok(Expr::SetGlobal(
            self.vm.global_id(name),
            Box::new(value),
            span,
        ))
    }

    fn try_form(&mut self, args: &[Datum], span: Span) -> Result<Expr, Exn> {
        let clause = |d: &Datum, s: Sym| match &d.kind {
            DatumKind::List(items) => items.first().and_then(Datum::as_symbol) == Some(s),
            _ => false,
        };
        let split = args
            .iter()
            .position(|d| clause(d, sym::CATCH) || clause(d, sym::FINALLY))
            .unwrap_or(args.len());
        let body = self.body(&args[..split], false)?;
        let mut catches = Vec::new();
        let mut finally = None;
        for c in &args[split..] {
            let DatumKind::List(items) = &c.kind else {
                return Err(syntax_error(
                    "only (catch ...) and (finally ...) may follow the body of `try`",
                    c.span,
                ));
            };
            if clause(c, sym::FINALLY) {
                if finally.is_some() {
                    return Err(syntax_error("`try` takes one (finally ...)", c.span));
                }
                finally = Some(self.body(&items[1..], false)?);
                continue;
            }
            if !clause(c, sym::CATCH) {
                return Err(syntax_error(
                    "only (catch ...) and (finally ...) may follow the body of `try`",
                    c.span,
                ));
            }
            if finally.is_some() {
                return Err(syntax_error(
                    "(finally ...) must come last in `try`",
                    c.span,
                ));
            }
            let usage = "usage: (catch e body...) or (catch ErrorType e body...)";
            // `(catch ValueError e ...)`: a type is a capitalised name, so `(catch e e)` is
            // the variable `e` and the body `e`.
            // `json.JSONDecodeError` names the class `JSONDecodeError`.
            let class_name = |d: &Datum| {
                let name = d.as_symbol()?.name();
                let last = name.rsplit('.').next().unwrap_or_default().to_string();
                last.starts_with(|c: char| c.is_ascii_uppercase())
                    .then_some(last)
            };
            let (type_name, var, body_from) = match (items.get(1), items.get(2)) {
                (Some(t), Some(v)) if class_name(t).is_some() && v.as_symbol().is_some() => {
                    (class_name(t), v, 3)
                }
                (Some(v), _) if v.as_symbol().is_some() => (None, v, 2),
                _ => return Err(syntax_error(usage, c.span)),
            };
            let var = var.as_symbol().expect("checked");
            self.push_scope();
            let binding = self.bind(var);
            let body = self.body(&items[body_from..], false);
            self.pop_scope();
            catches.push(Catch {
                type_name,
                binding,
                body: body?,
            });
        }
        Ok(Expr::Try(Box::new(TryExpr {
            body,
            catches,
            finally,
            span,
        })))
    }
}

fn is_literal(d: &Datum) -> bool {
    match &d.kind {
        DatumKind::Symbol(_) | DatumKind::List(_) | DatumKind::Embedded(_) => false,
        DatumKind::Vector(items) | DatumKind::Map(items) => items.iter().all(is_literal),
        _ => true,
    }
}

fn builtin_call(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    let f = crate::runtime::builtins::lookup(name).expect("core builtin exists");
    Expr::Call(Box::new(Call {
        callee: Expr::Const(Value::Builtin(f)),
        args,
        span,
        tail: false,
    }))
}

pub(crate) fn expect_count(
    args: &[Datum],
    min: usize,
    max: usize,
    usage: &str,
    span: Span,
) -> Result<(), Exn> {
    if args.len() < min || args.len() > max {
        return Err(LispError::new(ErrorKind::Syntax, format!("usage: {usage}")).at(span));
    }
    Ok(())
}
