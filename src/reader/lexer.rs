//! Tokens for the reader: delimiters, quote prefixes, `#_`, and atoms (numbers, strings,
//! keywords, symbols, booleans, nil) already turned into [`DatumKind`]s.

use super::{prefix_symbol, DatumKind, ReadError};
use crate::source::{SourceId, Span};
use crate::symbol::intern_read as intern;
use num_bigint::BigInt;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokKind {
    Open(char),
    Close(char),
    /// `'` `` ` `` `,` `,@`: the symbol the next form is wrapped in.
    Prefix(crate::symbol::Sym),
    Discard,
    Atom(DatumKind),
    Eof,
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub kind: TokKind,
    pub span: Span,
}

pub(super) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    source: SourceId,
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';' | ',')
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str, source: SourceId) -> Lexer<'a> {
        // A UTF-8 byte-order mark (editors on some systems write one) is not part of the text.
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let pos = if text[start..].starts_with("#!") {
            text[start..].find('\n').map_or(text.len(), |n| start + n)
        } else {
            start
        };
        Lexer { text, pos, source }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.source, start, end)
    }

    fn peek_char(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_trivia(&mut self) {
        while let Some(c) = self.peek_char() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if c == ';' {
                self.pos = self.text[self.pos..]
                    .find('\n')
                    .map_or(self.text.len(), |i| self.pos + i);
            } else {
                break;
            }
        }
    }

    pub fn next_tok(&mut self) -> Result<Tok, ReadError> {
        self.skip_trivia();
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Tok {
                kind: TokKind::Eof,
                span: self.span(start, start),
            });
        };
        let one = |lx: &mut Lexer, kind| {
            lx.pos += c.len_utf8();
            Ok(Tok {
                kind,
                span: lx.span(start, lx.pos),
            })
        };
        match c {
            '(' | '[' | '{' => one(self, TokKind::Open(c)),
            ')' | ']' | '}' => one(self, TokKind::Close(c)),
            '\'' => one(self, TokKind::Prefix(prefix_symbol("quote"))),
            '`' => one(self, TokKind::Prefix(prefix_symbol("quasiquote"))),
            ',' => {
                if self.text[self.pos..].starts_with(",@") {
                    self.pos += 2;
                    Ok(Tok {
                        kind: TokKind::Prefix(prefix_symbol("unquote-splicing")),
                        span: self.span(start, self.pos),
                    })
                } else {
                    one(self, TokKind::Prefix(prefix_symbol("unquote")))
                }
            }
            '"' => self.string(start),
            '#' => self.dispatch(start),
            _ => self.atom(start),
        }
    }

    fn dispatch(&mut self, start: usize) -> Result<Tok, ReadError> {
        let rest = &self.text[self.pos..];
        if rest.starts_with("#_") {
            self.pos += 2;
            return Ok(Tok {
                kind: TokKind::Discard,
                span: self.span(start, self.pos),
            });
        }
        let tok = self.token_text();
        let kind = match tok {
            "#t" | "#true" => DatumKind::Bool(true),
            "#f" | "#false" => DatumKind::Bool(false),
            _ => {
                return Err(ReadError::BadToken {
                    message: format!("unknown reader syntax `{}`", clip(tok)),
                    span: self.span(start, self.pos),
                })
            }
        };
        Ok(Tok {
            kind: TokKind::Atom(kind),
            span: self.span(start, self.pos),
        })
    }

    /// Consumes up to the next delimiter and returns the text.
    fn token_text(&mut self) -> &'a str {
        let start = self.pos;
        let text = self.text;
        let mut it = text[start..].char_indices();
        // The first character is part of the token even if it is `#`.
        let mut end = text.len();
        if let Some((_, first)) = it.next() {
            end = start + first.len_utf8();
            for (i, c) in it {
                if is_delimiter(c) {
                    end = start + i;
                    break;
                }
                end = start + i + c.len_utf8();
            }
        }
        self.pos = end;
        &text[start..end]
    }

    fn atom(&mut self, start: usize) -> Result<Tok, ReadError> {
        let text = self.token_text();
        let span = self.span(start, self.pos);
        let kind = classify(text, span)?;
        Ok(Tok {
            kind: TokKind::Atom(kind),
            span,
        })
    }

    fn string(&mut self, start: usize) -> Result<Tok, ReadError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return Err(ReadError::Incomplete {
                    what: "a string",
                    closer: "\"",
                    span: self.span(start, start + 1),
                });
            };
            self.pos += c.len_utf8();
            match c {
                '"' => break,
                '\\' => {
                    let esc_start = self.pos - 1;
                    let Some(e) = self.peek_char() else {
                        return Err(ReadError::Incomplete {
                            what: "a string",
                            closer: "\"",
                            span: self.span(start, start + 1),
                        });
                    };
                    self.pos += e.len_utf8();
                    let ch = match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '0' => '\0',
                        '"' => '"',
                        '\\' => '\\',
                        'x' => self.fixed_hex_escape(esc_start, 2)?,
                        'U' => self.fixed_hex_escape(esc_start, 8)?,
                        'u' if self.peek_char() == Some('{') => self.braced_escape(esc_start)?,
                        'u' => self.fixed_hex_escape(esc_start, 4)?,
                        other => {
                            return Err(ReadError::BadEscape {
                                esc: clip(&other.to_string()),
                                span: self.span(esc_start, self.pos),
                            })
                        }
                    };
                    out.push(ch);
                }
                _ => out.push(c),
            }
        }
        Ok(Tok {
            kind: TokKind::Atom(DatumKind::Str(out)),
            span: self.span(start, self.pos),
        })
    }

    /// The hex digits of `\xHH`, `\uHHHH` or `\UHHHHHHHH`: exactly `n` of them (ASCII hex
    /// digits only, no sign), naming a Unicode scalar value. The escape letter is already read.
    fn fixed_hex_escape(&mut self, esc_start: usize, n: usize) -> Result<char, ReadError> {
        let rest = &self.text[self.pos..];
        let digits = rest
            .bytes()
            .take(n)
            .take_while(u8::is_ascii_hexdigit)
            .count();
        let value = if digits == n {
            u32::from_str_radix(&rest[..n], 16).ok()
        } else {
            None
        };
        match value.and_then(char::from_u32) {
            Some(ch) => {
                self.pos += n;
                Ok(ch)
            }
            None => Err(self.bad_escape(esc_start, self.pos + digits, digits < n)),
        }
    }

    /// `\u{1F600}`: one to six ASCII hex digits in braces, naming a Unicode scalar value.
    fn braced_escape(&mut self, esc_start: usize) -> Result<char, ReadError> {
        let body = &self.text[self.pos + 1..];
        let digits = body.bytes().take_while(u8::is_ascii_hexdigit).count();
        let closed = body.as_bytes().get(digits) == Some(&b'}');
        let end = self.pos + 1 + digits;
        if !closed || digits == 0 || digits > 6 {
            return Err(self.bad_escape(esc_start, end, true));
        }
        let ch = u32::from_str_radix(&body[..digits], 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| self.bad_escape(esc_start, end + 1, false))?;
        self.pos = end + 1;
        Ok(ch)
    }

    /// A bad escape from its `\` up to `end`; with `and_next`, also the character there that
    /// made it bad (unless that is the closing quote or a line break).
    fn bad_escape(&self, esc_start: usize, end: usize, and_next: bool) -> ReadError {
        let end = match self.text[end..].chars().next() {
            Some(c) if and_next && !matches!(c, '"' | '\n' | '\r') => end + c.len_utf8(),
            _ => end,
        };
        ReadError::BadEscape {
            esc: clip(&self.text[esc_start + 1..end]),
            span: self.span(esc_start, end),
        }
    }
}

/// Error messages quote the offending text, shortened: a 300,000-character token must not
/// become a 300 KB diagnostic.
pub(super) fn clip(text: &str) -> String {
    const KEEP: usize = 40;
    match text.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Number, keyword, boolean, nil or symbol.
fn classify(text: &str, span: Span) -> Result<DatumKind, ReadError> {
    match text {
        "nil" => return Ok(DatumKind::Nil),
        "true" => return Ok(DatumKind::Bool(true)),
        "false" => return Ok(DatumKind::Bool(false)),
        _ => {}
    }
    let bytes = text.as_bytes();
    let digits_from = usize::from(matches!(bytes[0], b'+' | b'-'));
    let starts_numeric = bytes.get(digits_from).is_some_and(|b| b.is_ascii_digit())
        || (bytes.get(digits_from) == Some(&b'.')
            && bytes
                .get(digits_from + 1)
                .is_some_and(|b| b.is_ascii_digit()));
    if starts_numeric {
        return number(text, span);
    }
    if let Some(name) = text.strip_prefix(':') {
        if name.is_empty() || name.starts_with(':') {
            return Err(ReadError::BadToken {
                message: format!("invalid keyword `{}`", clip(text)),
                span,
            });
        }
        return Ok(DatumKind::Keyword(intern(name)));
    }
    Ok(DatumKind::Symbol(intern(text)))
}

/// A decimal integer or float, by Python's rules for literals: `_` may only stand alone
/// between two digits (`1_000`, `1_000.000_1`, `1e1_0`), so `1_`, `1__0`, `1_.5` and `1e_5` are
/// not numbers.
fn number(text: &str, span: Span) -> Result<DatumKind, ReadError> {
    let bad = || ReadError::BadNumber {
        text: clip(text),
        span,
    };
    let bytes = text.as_bytes();
    let underscores_ok = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'_'
            || (i > 0
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
    });
    if !underscores_ok {
        return Err(bad());
    }
    let cleaned = text.replace('_', "");
    let body = cleaned.trim_start_matches(['+', '-']);
    if body.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = cleaned.parse::<i64>() {
            return Ok(DatumKind::Int(i));
        }
        return cleaned
            .trim_start_matches('+')
            .parse::<BigInt>()
            .map(DatumKind::BigInt)
            .map_err(|_| bad());
    }
    let ok_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok_chars {
        return Err(bad());
    }
    cleaned
        .parse::<f64>()
        .map(DatumKind::Float)
        .map_err(|_| bad())
}
