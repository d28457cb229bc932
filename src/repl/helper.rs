//! The line editor's helper: multi-line input (the reader decides when a form is complete),
//! syntax colouring with the matching bracket shown, and completion of bound names, special
//! forms and REPL commands. It never evaluates what is being typed.

use crate::reader::{read_all, ReadError};
use crate::source::SourceId;
use owo_colors::OwoColorize;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use crate::engine::complete::is_delimiter;
pub use crate::engine::complete::Completions;

pub struct ReplHelper {
    pub completions: Rc<RefCell<Completions>>,
    pub color: bool,
}

/// Is the input a complete set of forms (or a command)? Wrong input counts as complete: it is
/// submitted and the error shown, rather than trapping the user in a continuation.
pub fn input_state(input: &str) -> Result<(), ReadError> {
    if input.trim_start().starts_with(':') {
        return Ok(());
    }
    // Checking input must not intern its names for good (the REPL runs for days).
    crate::symbol::reading_data(|| read_all(input, SourceId(u32::MAX)).map(|_| ()))
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, found) = self.completions.borrow().complete(line, pos);
        let found = found
            .into_iter()
            .map(|(display, replacement)| Pair {
                display,
                replacement,
            })
            .collect();
        Ok((start, found))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(match input_state(ctx.input()) {
            Err(e) if e.is_incomplete() => ValidationResult::Incomplete,
            _ => ValidationResult::Valid(None),
        })
    }
}

/// Byte offset of the bracket matching the one at `pos` (or just before it).
fn matching_bracket(line: &str, pos: usize) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let candidates = [pos, pos.wrapping_sub(1)];
    for &i in &candidates {
        let Some(b) = at(i) else { continue };
        let (open, close, forward) = match b {
            b'(' => (b'(', b')', true),
            b'[' => (b'[', b']', true),
            b'{' => (b'{', b'}', true),
            b')' => (b'(', b')', false),
            b']' => (b'[', b']', false),
            b'}' => (b'{', b'}', false),
            _ => continue,
        };
        let mut depth = 0i32;
        if forward {
            for (j, &c) in bytes.iter().enumerate().skip(i) {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                    if depth == 0 {
                        return Some((i, j));
                    }
                }
            }
        } else {
            for j in (0..=i).rev() {
                let c = bytes[j];
                if c == close {
                    depth += 1;
                } else if c == open {
                    depth -= 1;
                    if depth == 0 {
                        return Some((i, j));
                    }
                }
            }
        }
    }
    None
}

/// Colours a (possibly incomplete) line of Lisp for display.
pub fn colorize(line: &str, pos: Option<usize>) -> String {
    let brackets = pos.and_then(|p| matching_bracket(line, p));
    let mut out = String::with_capacity(line.len() * 2);
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ';' => {
                let rest = &line[i..];
                let end = rest.find('\n').map_or(line.len(), |n| i + n);
                out.push_str(&(&line[i..end]).dimmed().to_string());
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '"' => {
                let mut end = line.len();
                let mut escaped = false;
                for (j, d) in line[i + 1..].char_indices() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        end = i + 1 + j + 1;
                        break;
                    }
                }
                out.push_str(&(&line[i..end]).green().to_string());
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '(' | ')' | '[' | ']' | '{' | '}' => {
                let s = c.to_string();
                if brackets.is_some_and(|(a, b)| a == i || b == i) {
                    out.push_str(&s.bold().yellow().on_bright_black().to_string());
                } else {
                    out.push_str(&s);
                }
            }
            c if is_delimiter(c) => out.push(c),
            _ => {
                let mut end = line.len();
                while let Some((j, d)) = chars.peek() {
                    if is_delimiter(*d) {
                        end = *j;
                        break;
                    }
                    chars.next();
                }
                let word = &line[i..end];
                let first = word.as_bytes()[0];
                let numeric = first.is_ascii_digit()
                    || (matches!(first, b'-' | b'+')
                        && word.len() > 1
                        && word.as_bytes()[1].is_ascii_digit());
                if word.starts_with(':') {
                    out.push_str(&word.magenta().to_string());
                } else if numeric || matches!(word, "nil" | "true" | "false" | "#t" | "#f") {
                    out.push_str(&word.cyan().to_string());
                } else if crate::symbol::SPECIAL_FORMS.contains(&word)
                    || CORE_MACROS.contains(&word)
                {
                    out.push_str(&word.blue().bold().to_string());
                } else {
                    out.push_str(word);
                }
            }
        }
    }
    out
}

const CORE_MACROS: &[&str] = &[
    "defn", "when", "unless", "cond", "dotimes", "doseq", "->", "->>", "if-let", "when-let",
    "if-not", "when-not", "comment",
];

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        if !self.color || line.trim_start().starts_with(':') {
            return Cow::Borrowed(line);
        }
        Cow::Owned(colorize(line, Some(pos)))
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        if self.color {
            Cow::Owned(prompt.bold().green().to_string())
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_forms_are_incomplete_and_wrong_ones_are_not() {
        assert!(input_state("(+ 1").unwrap_err().is_incomplete());
        assert!(input_state("\"abc").unwrap_err().is_incomplete());
        assert!(!input_state("(+ 1))").unwrap_err().is_incomplete());
        assert!(input_state("(+ 1 2)").is_ok());
        assert!(input_state(":help").is_ok());
    }

    #[test]
    fn brackets_match_both_ways() {
        assert_eq!(matching_bracket("(a [b] c)", 0), Some((0, 8)));
        assert_eq!(matching_bracket("(a [b] c)", 9), Some((8, 0)));
        assert_eq!(matching_bracket("(a [b] c)", 3), Some((3, 5)));
    }
}
