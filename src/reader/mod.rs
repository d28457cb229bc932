//! The reader: source text to [`Datum`]s, each with its [`Span`].
//!
//! Written here rather than borrowed (see ARCHITECTURE.md): it reads `(. np sum)`, `1e10`,
//! `{}` maps and integers of any size. It tells *incomplete* input (an open list or string at the
//! end of the text: the REPL asks for another line) from *wrong* input (a diagnostic). Nesting is
//! bounded by [`MAX_DEPTH`], so hostile input such as 200,000 `(` is a clean error, not a stack
//! overflow. The reader knows nothing of evaluation; `'x` becomes `(quote x)` and so on.

mod lexer;

use crate::source::{SourceId, Span};
use crate::symbol::{self, Sym};
use lexer::{Lexer, Tok, TokKind};
use num_bigint::BigInt;

/// Deepest nesting of lists, vectors, maps, quote prefixes and pending `#_` discards that the
/// reader accepts.
pub const MAX_DEPTH: usize = 1000;

/// A read form with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub kind: DatumKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DatumKind {
    Nil,
    Bool(bool),
    Int(i64),
    BigInt(BigInt),
    Float(f64),
    Str(String),
    Symbol(Sym),
    Keyword(Sym),
    List(Vec<Datum>),
    Vector(Vec<Datum>),
    Map(Vec<Datum>),
    /// A value spliced into code by a macro (a function object, say); evaluates to itself.
    /// Opaque to the reader, which never makes one: the syntax layer puts runtime values here.
    Embedded(Embedded),
}

/// A constant the syntax layer embeds in code, opaque at this level (the reader knows nothing
/// of runtime values). Two are equal when they are the same allocation.
#[derive(Clone)]
pub struct Embedded(pub std::rc::Rc<dyn std::any::Any>);

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("#<embedded>")
    }
}

impl PartialEq for Embedded {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Datum {
    pub fn new(kind: DatumKind, span: Span) -> Datum {
        Datum { kind, span }
    }
    pub fn as_symbol(&self) -> Option<Sym> {
        match self.kind {
            DatumKind::Symbol(s) => Some(s),
            _ => None,
        }
    }
}

/// What went wrong while reading. `Incomplete` is the only kind the REPL answers with a
/// continuation prompt; all others are shown as diagnostics.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum ReadError {
    #[error("unexpected end of input: {what} is not closed")]
    #[diagnostic(code(polyglot::read::incomplete), help("add the missing `{closer}`"))]
    Incomplete {
        what: &'static str,
        closer: &'static str,
        #[label("opened here")]
        span: Span,
    },
    #[error("unexpected `{found}`")]
    #[diagnostic(code(polyglot::read::unexpected_close), help("{help}"))]
    UnexpectedClose {
        found: char,
        help: String,
        #[label("nothing open here to close")]
        span: Span,
    },
    #[error("`{found}` does not close `{open}`")]
    #[diagnostic(code(polyglot::read::mismatched), help("close it with `{expected}`"))]
    Mismatched {
        found: char,
        open: char,
        expected: char,
        #[label("this closes nothing that is open")]
        span: Span,
        #[label("`{open}` opened here")]
        open_span: Span,
    },
    #[error("invalid escape `\\{esc}` in string")]
    #[diagnostic(
        code(polyglot::read::bad_escape),
        help(
            "known escapes: \\n \\t \\r \\b \\f \\0 \\\" \\\\ \\xHH \\uHHHH \\UHHHHHHHH \\u{{hex}}"
        )
    )]
    BadEscape {
        esc: String,
        #[label("here")]
        span: Span,
    },
    #[error("invalid number `{text}`")]
    #[diagnostic(code(polyglot::read::bad_number))]
    BadNumber {
        text: String,
        #[label("not a number")]
        span: Span,
    },
    #[error("{message}")]
    #[diagnostic(code(polyglot::read::bad_token))]
    BadToken {
        message: String,
        #[label("here")]
        span: Span,
    },
    #[error("nesting deeper than {max} levels")]
    #[diagnostic(
        code(polyglot::read::too_deep),
        help("the reader accepts at most {max} nested lists, vectors, maps, quotes and `#_` discards")
    )]
    TooDeep {
        max: usize,
        #[label("this level is too deep")]
        span: Span,
    },
    #[error("a map needs an even number of forms (key value ...)")]
    #[diagnostic(code(polyglot::read::odd_map))]
    OddMap {
        #[label("{count} form(s) in this map")]
        span: Span,
        count: usize,
    },
}

impl ReadError {
    pub fn is_incomplete(&self) -> bool {
        matches!(self, ReadError::Incomplete { .. })
    }
    pub fn span(&self) -> Span {
        match self {
            ReadError::Incomplete { span, .. }
            | ReadError::UnexpectedClose { span, .. }
            | ReadError::Mismatched { span, .. }
            | ReadError::BadEscape { span, .. }
            | ReadError::BadNumber { span, .. }
            | ReadError::BadToken { span, .. }
            | ReadError::TooDeep { span, .. }
            | ReadError::OddMap { span, .. } => *span,
        }
    }
}

/// Reads every form of `text`. A `#!` first line is skipped.
pub fn read_all(text: &str, source: SourceId) -> Result<Vec<Datum>, ReadError> {
    let mut parser = Parser::new(text, source);
    let mut out = Vec::new();
    while let Some(d) = parser.next_form()? {
        out.push(d);
    }
    Ok(out)
}

/// A form-at-a-time reader over one text: scripts read and run form by form, so a macro
/// defined by one form is in force for the next.
pub struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Tok>,
    source: SourceId,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str, source: SourceId) -> Parser<'a> {
        Parser {
            lex: Lexer::new(text, source),
            peeked: None,
            source,
        }
    }

    fn peek(&mut self) -> Result<&Tok, ReadError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lex.next_tok()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn bump(&mut self) -> Result<Tok, ReadError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_tok(),
        }
    }

    /// The next top-level form, or `None` at the end of the text.
    pub fn next_form(&mut self) -> Result<Option<Datum>, ReadError> {
        loop {
            let tok = self.bump()?;
            match tok.kind {
                TokKind::Eof => return Ok(None),
                TokKind::Close(c) => {
                    return Err(ReadError::UnexpectedClose {
                        found: c,
                        help: "remove it, or open a list before it".into(),
                        span: tok.span,
                    })
                }
                TokKind::Discard => {
                    self.discard(tok.span, 0)?;
                }
                _ => return self.form_from(tok, 0).map(Some),
            }
        }
    }

    /// `#_` drops the next form (which must still be well-formed); `#_ #_ a b` drops both `a`
    /// and `b`. A run of `#_` is counted in a loop, never by recursion, and each `#_` still
    /// waiting for its form is one level of nesting: past [`MAX_DEPTH`] the run is the same
    /// clean [`ReadError::TooDeep`] as 200,000 `(`, so `#_` repeated 50,000 times cannot
    /// overflow the stack (here or in the REPL's validator, which reads the same way).
    fn discard(&mut self, span: Span, depth: usize) -> Result<(), ReadError> {
        // The `#_`s still waiting for a form, innermost last.
        let mut pending = vec![span];
        if depth > MAX_DEPTH {
            return Err(ReadError::TooDeep {
                max: MAX_DEPTH,
                span,
            });
        }
        while let Some(&innermost) = pending.last() {
            let tok = self.bump()?;
            match tok.kind {
                TokKind::Eof => {
                    return Err(ReadError::Incomplete {
                        what: "`#_`",
                        closer: "form to discard",
                        span: innermost,
                    })
                }
                TokKind::Close(c) => {
                    return Err(ReadError::UnexpectedClose {
                        found: c,
                        help: "`#_` needs a form after it".into(),
                        span: tok.span,
                    })
                }
                TokKind::Discard => {
                    if depth + pending.len() > MAX_DEPTH {
                        return Err(ReadError::TooDeep {
                            max: MAX_DEPTH,
                            span: tok.span,
                        });
                    }
                    pending.push(tok.span);
                }
                _ => {
                    self.form_from(tok, depth + pending.len() - 1)?;
                    pending.pop();
                }
            }
        }
        Ok(())
    }

    /// The next token that is not part of a `#_ form` pair: every discard before it is read
    /// and dropped in a loop.
    fn bump_skipping_discards(&mut self, depth: usize) -> Result<Tok, ReadError> {
        loop {
            let tok = self.bump()?;
            if !matches!(tok.kind, TokKind::Discard) {
                return Ok(tok);
            }
            self.discard(tok.span, depth)?;
        }
    }

    fn form_from(&mut self, tok: Tok, depth: usize) -> Result<Datum, ReadError> {
        // Nesting recurses; a fresh stack segment keeps deep (but legal) input safe on any thread.
        crate::stack::guarded(|| self.form_from_inner(tok, depth))
    }

    fn form_from_inner(&mut self, tok: Tok, depth: usize) -> Result<Datum, ReadError> {
        if depth > MAX_DEPTH {
            return Err(ReadError::TooDeep {
                max: MAX_DEPTH,
                span: tok.span,
            });
        }
        let span = tok.span;
        let kind = match tok.kind {
            TokKind::Atom(k) => k,
            TokKind::Open(open) => {
                let (items, end) = self.seq(open, span, depth)?;
                let full = span.to(end);
                let kind = match open {
                    '(' => DatumKind::List(items),
                    '[' => DatumKind::Vector(items),
                    _ => {
                        if items.len() % 2 != 0 {
                            return Err(ReadError::OddMap {
                                span: full,
                                count: items.len(),
                            });
                        }
                        DatumKind::Map(items)
                    }
                };
                return Ok(Datum::new(kind, full));
            }
            TokKind::Prefix(name) => {
                let next = self.bump_skipping_discards(depth + 1)?;
                let inner = match next.kind {
                    TokKind::Eof => {
                        return Err(ReadError::Incomplete {
                            what: "a quote prefix",
                            closer: "quoted form",
                            span,
                        })
                    }
                    TokKind::Close(c) => {
                        return Err(ReadError::UnexpectedClose {
                            found: c,
                            help: "a quote prefix needs a form after it".into(),
                            span: next.span,
                        })
                    }
                    _ => self.form_from(next, depth + 1)?,
                };
                let full = span.to(inner.span);
                let head = Datum::new(DatumKind::Symbol(name), span);
                return Ok(Datum::new(DatumKind::List(vec![head, inner]), full));
            }
            TokKind::Close(c) => {
                return Err(ReadError::UnexpectedClose {
                    found: c,
                    help: "remove it".into(),
                    span,
                })
            }
            TokKind::Discard => {
                self.discard(span, depth)?;
                let t = self.bump_skipping_discards(depth)?;
                return self.form_from(t, depth);
            }
            TokKind::Eof => {
                return Err(ReadError::Incomplete {
                    what: "input",
                    closer: "form",
                    span,
                })
            }
        };
        Ok(Datum::new(kind, span))
    }

    fn seq(
        &mut self,
        open: char,
        open_span: Span,
        depth: usize,
    ) -> Result<(Vec<Datum>, Span), ReadError> {
        let expected = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        let mut items = Vec::new();
        loop {
            let kind = &self.peek()?.kind;
            match kind {
                TokKind::Eof => {
                    return Err(ReadError::Incomplete {
                        what: match open {
                            '(' => "a list",
                            '[' => "a vector",
                            _ => "a map",
                        },
                        closer: match open {
                            '(' => ")",
                            '[' => "]",
                            _ => "}",
                        },
                        span: open_span,
                    })
                }
                TokKind::Close(c) => {
                    let c = *c;
                    let tok = self.bump()?;
                    if c != expected {
                        return Err(ReadError::Mismatched {
                            found: c,
                            open,
                            expected,
                            span: tok.span,
                            open_span,
                        });
                    }
                    return Ok((items, tok.span));
                }
                TokKind::Discard => {
                    let tok = self.bump()?;
                    self.discard(tok.span, depth + 1)?;
                }
                _ => {
                    let tok = self.bump()?;
                    items.push(self.form_from(tok, depth + 1)?);
                }
            }
        }
    }

    pub fn source(&self) -> SourceId {
        self.source
    }
}

pub(crate) fn prefix_symbol(text: &str) -> Sym {
    symbol::intern(text)
}

#[cfg(test)]
mod tests;
