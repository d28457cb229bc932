//! Python interop forms in the analyzer: `$py`, `.`, dotted symbols, `set!` on attributes,
//! `await`, `batch`, `with`. Filled in by the embedded bridge; until then these hooks decline.

use super::analyze::Analyzer;
use super::expr::Expr;
use crate::reader::Datum;
use crate::runtime::error::Exn;
use crate::runtime::symbol::Sym;
use crate::source::Span;

impl Analyzer<'_> {
    pub(crate) fn py_dotted_symbol(&mut self, _s: Sym, _span: Span) -> Result<Option<Expr>, Exn> {
        Ok(None)
    }

    pub(crate) fn py_special_form(
        &mut self,
        _head: Sym,
        _d: &Datum,
        _items: &[Datum],
        _tail: bool,
    ) -> Result<Option<Expr>, Exn> {
        Ok(None)
    }

    pub(crate) fn py_set_form(&mut self, _args: &[Datum], _span: Span) -> Result<Option<Expr>, Exn> {
        Ok(None)
    }
}
