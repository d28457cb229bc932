//! Source texts and spans.
//!
//! Every datum the reader produces carries a [`Span`]: which source it came from and the byte
//! range inside it. Spans are `Copy` and small, so the analyzer, the compiled code and errors can
//! carry them freely. The [`SourceMap`] owns the texts; diagnostics look spans up here to show the
//! offending line. Nothing here knows about Lisp or Python.

use std::sync::Arc;

/// Index of a source text in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SourceId(pub u32);

/// A byte range inside one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub source: SourceId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span {
            source,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (same source assumed; `self`'s source wins).
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start as usize, s.len()).into()
    }
}

/// One named source text (a file, `<repl:3>`, `<-e>`, `<prelude>`).
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
}

/// All source texts seen by an engine, addressed by [`SourceId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceId {
        self.sources.push(Source {
            name: name.into(),
            text: text.into(),
        });
        SourceId((self.sources.len() - 1) as u32)
    }

    pub fn get(&self, id: SourceId) -> Option<&Source> {
        self.sources.get(id.0 as usize)
    }

    /// 1-based line and column of a byte offset, for plain one-line messages.
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        let src = self.get(span.source)?;
        let upto = src.text.get(..(span.start as usize).min(src.text.len()))?;
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let mut map = SourceMap::default();
        let id = map.add("t", "ab\ncd");
        assert_eq!(map.line_col(Span::new(id, 0, 1)), Some((1, 1)));
        assert_eq!(map.line_col(Span::new(id, 4, 5)), Some((2, 2)));
    }
}
