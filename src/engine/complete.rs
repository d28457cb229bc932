//! Completion for front-ends (the REPL's TAB, a kernel's `complete_request`): Lisp names, and
//! attributes of Python values. A [`Completer`] is detached from the engine's borrow, so a line
//! editor can hold it while the engine evaluates.

use crate::interop::Interop;
use crate::runtime::host::Lazy;
use crate::runtime::value::Value;
use crate::source::Span;
use std::collections::HashMap;
use std::rc::Rc;

/// Answers "what can follow `np.li`?" for one engine.
#[derive(Clone, Default)]
pub struct Completer {
    interop: Option<Rc<Interop>>,
}

impl Completer {
    pub(crate) fn new(interop: Option<Rc<Interop>>) -> Completer {
        Completer { interop }
    }

    /// Attribute names of `value.path...` (`dir()`); may start Python, never runs what is
    /// being typed.
    pub fn attributes(&self, value: &Value, path: Vec<String>) -> Vec<String> {
        let Some(i) = &self.interop else {
            return Vec::new();
        };
        let target = if path.is_empty() {
            value.clone()
        } else {
            let host: Rc<dyn crate::runtime::host::Host> = i.clone();
            Lazy::attr(&host, value.clone(), path, Span::default())
        };
        i.dir_of(&target)
    }
}

/// Names offered for completion: a snapshot of the engine's, taken after each evaluation (a
/// front-end can complete while the engine is busy or borrowed elsewhere).
#[derive(Default)]
pub struct Completions {
    pub names: Vec<String>,
    /// Front-end commands (`:help`, `:doc`), offered at the start of the input.
    pub commands: Vec<String>,
    /// Globals bound to Python values: `np.` completes from `dir()` of these.
    pub python: HashMap<String, Value>,
    /// Attributes of Python values, from the engine.
    pub completer: Completer,
}

/// Characters that end a symbol (for finding the word at the cursor).
pub fn is_delimiter(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'' | '`' | ',' | ';'
        )
}

impl Completions {
    /// Candidates for the word that ends at byte `pos` of `line`: where the word starts, and
    /// each candidate as (what to show, what replaces the word), sorted.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<(String, String)>) {
        let before = &line[..pos];
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| is_delimiter(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        if let Some((base, partial)) = word.rsplit_once('.') {
            let mut parts = base.split('.');
            let head = parts.next().unwrap_or_default();
            if let Some(v) = self.python.get(head) {
                let path: Vec<String> = parts.map(str::to_string).collect();
                let mut found: Vec<(String, String)> = self
                    .python_attributes(v, path)
                    .into_iter()
                    .filter(|n| {
                        n.starts_with(partial) && (partial.starts_with('_') || !n.starts_with('_'))
                    })
                    .map(|n| (n.clone(), format!("{base}.{n}")))
                    .collect();
                found.sort();
                return (start, found);
            }
        }
        let pool: Box<dyn Iterator<Item = &String>> = if start == 0 && word.starts_with(':') {
            Box::new(self.commands.iter())
        } else {
            Box::new(self.names.iter())
        };
        let mut found: Vec<(String, String)> = pool
            .filter(|n| n.starts_with(word))
            .map(|n| (n.clone(), n.clone()))
            .collect();
        found.sort();
        found.dedup();
        (start, found)
    }

    /// The attribute names offered after `value.path.`, asked of Python without running user
    /// code that could hang the front-end (a REPL's TAB runs in raw mode, where Ctrl-C is a
    /// key, not a signal):
    ///
    /// - an import chain (`np`, `np.linalg`: modules and what they hold) is completed with
    ///   `dir()`;
    /// - a handle is completed only for its own attributes (never through a path: a property
    ///   or `__getattr__` is user code), and with `dir()` only when its class's `__dir__` is
    ///   not written in Python; otherwise from `dir()` of its class, which a user `__dir__`
    ///   does not reach;
    /// - a chain that starts at a handle (`(. obj attr)`) is not run at all.
    fn python_attributes(&self, v: &Value, path: Vec<String>) -> Vec<String> {
        use crate::runtime::host::LazyRoot;
        match v {
            Value::Lazy(l) if matches!(l.root, LazyRoot::Import(_)) => {
                self.completer.attributes(v, path)
            }
            Value::Host(_) if path.is_empty() => {
                let class = || vec!["__class__".to_string()];
                let dir_fn = self
                    .completer
                    .attributes(v, vec!["__class__".into(), "__dir__".into()]);
                if dir_fn.iter().any(|n| n == "__code__") {
                    self.completer.attributes(v, class())
                } else {
                    self.completer.attributes(v, Vec::new())
                }
            }
            _ => Vec::new(),
        }
    }
}
