//! Interned symbols: a [`Sym`] is a number, so comparing and hashing names costs nothing.
//!
//! The table is per thread (the Lisp runs on one thread; values are `Rc`, not `Send`).
//! Names that the analyzer matches on are interned first, in a fixed order, so they are
//! constants ([`sym::QUOTE`] and friends).
//!
//! Symbols made by [`gensym`] take no room in the table: the number itself says which prefix
//! and counter make the name (`G__12`), so a long session that expands macros all day does not
//! grow with them. They are uninterned, as in Common Lisp: reading the same text gives a
//! different symbol.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sym(pub u64);

/// The top bit marks a gensym; below it, the prefix's index and the counter.
const GENSYM: u64 = 1 << 63;
const COUNTER_BITS: u32 = 40;
/// More distinct gensym prefixes than this are interned like any name.
const MAX_PREFIXES: usize = 1 << 16;

macro_rules! well_known {
    ($($konst:ident = $name:literal),* $(,)?) => {
        /// Symbols known at compile time, interned first in this order.
        pub mod sym {
            use super::Sym;
            well_known!(@consts 0u64; $($konst)*);
        }
        const WELL_KNOWN: &[&str] = &[$($name),*];
    };
    (@consts $n:expr; $first:ident $($rest:ident)*) => {
        pub const $first: Sym = Sym($n);
        well_known!(@consts $n + 1u64; $($rest)*);
    };
    (@consts $n:expr;) => {};
}

well_known! {
    QUOTE = "quote", QUASIQUOTE = "quasiquote", UNQUOTE = "unquote",
    UNQUOTE_SPLICING = "unquote-splicing", IF = "if", DO = "do", DEF = "def", LET = "let",
    FN = "fn", DEFMACRO = "defmacro", SET = "set!", AND = "and", OR = "or", TRY = "try",
    CATCH = "catch", FINALLY = "finally", LOOP = "loop", RECUR = "recur", AMP = "&",
    DOT = ".", PY = "$py", AWAIT = "await", BATCH = "batch", MACROEXPAND = "macroexpand",
    MACROEXPAND_1 = "macroexpand-1", LIST = "list", VECTOR = "vector", CONCAT = "concat",
    HASH_MAP = "hash-map", APPLY = "apply", LETFN = "letfn", WITH = "with", AS = "as",
    DEFN = "defn", GET = "get", DEL = "del",
}

/// Names the analyzer treats specially (for completion, highlighting and "did you mean").
pub const SPECIAL_FORMS: &[&str] = &[
    "quote",
    "quasiquote",
    "unquote",
    "unquote-splicing",
    "if",
    "do",
    "def",
    "let",
    "fn",
    "defmacro",
    "set!",
    "and",
    "or",
    "try",
    "catch",
    "finally",
    "loop",
    "recur",
    ".",
    "$py",
    "await",
    "batch",
    "with",
    "del",
];

struct Interner {
    names: Vec<Rc<str>>,
    ids: HashMap<Rc<str>, Sym>,
    /// The prefixes gensyms were made with, by index.
    prefixes: Vec<Rc<str>>,
    prefix_ids: HashMap<Rc<str>, u64>,
}

impl Interner {
    fn new() -> Interner {
        let mut i = Interner {
            names: Vec::new(),
            ids: HashMap::new(),
            prefixes: Vec::new(),
            prefix_ids: HashMap::new(),
        };
        for name in WELL_KNOWN {
            i.intern(name);
        }
        i
    }

    fn intern(&mut self, name: &str) -> Sym {
        if let Some(s) = self.ids.get(name) {
            return *s;
        }
        let rc: Rc<str> = name.into();
        let s = Sym(self.names.len() as u64);
        self.names.push(rc.clone());
        self.ids.insert(rc, s);
        s
    }
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::new());
}

pub fn intern(name: &str) -> Sym {
    INTERNER.with(|i| i.borrow_mut().intern(name))
}

impl Sym {
    pub fn name(self) -> Rc<str> {
        INTERNER.with(|i| {
            let i = i.borrow();
            if self.0 & GENSYM == 0 {
                return i.names[self.0 as usize].clone();
            }
            let prefix = (self.0 & !GENSYM) >> COUNTER_BITS;
            let n = self.0 & ((1 << COUNTER_BITS) - 1);
            format!("{}__{n}", i.prefixes[prefix as usize]).into()
        })
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// A fresh symbol that no reader input can produce (`G__12`), for hygienic macros.
pub fn gensym(prefix: &str) -> Sym {
    thread_local! { static COUNTER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) }; }
    let n = COUNTER.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    INTERNER.with(|i| {
        let mut i = i.borrow_mut();
        let id = match i.prefix_ids.get(prefix) {
            Some(id) => Some(*id),
            None if i.prefixes.len() < MAX_PREFIXES => {
                let rc: Rc<str> = prefix.into();
                let id = i.prefixes.len() as u64;
                i.prefixes.push(rc.clone());
                i.prefix_ids.insert(rc, id);
                Some(id)
            }
            None => None,
        };
        match id {
            Some(id) if n < 1 << COUNTER_BITS => Sym(GENSYM | id << COUNTER_BITS | n),
            _ => i.intern(&format!("{prefix}__{n}")),
        }
    })
}

/// Python's name for an attribute or keyword argument written in the Lisp: `-` is `_`
/// (`reset-index` is `reset_index`, `:sort-keys` is `sort_keys`).
pub fn python_name(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_symbols_are_constants() {
        assert_eq!(intern("quote"), sym::QUOTE);
        assert_eq!(intern("get"), sym::GET);
        assert_eq!(&*sym::SET.name(), "set!");
    }

    #[test]
    fn gensyms_differ() {
        assert_ne!(gensym("G"), gensym("G"));
    }

    #[test]
    fn gensyms_take_no_room_in_the_table() {
        let before = INTERNER.with(|i| i.borrow().names.len());
        let syms: Vec<Sym> = (0..10_000).map(|_| gensym("tmp")).collect();
        assert_eq!(INTERNER.with(|i| i.borrow().names.len()), before);
        let name = syms[0].name();
        assert!(name.starts_with("tmp__"), "{name}");
        assert_ne!(intern(&name), syms[0], "a gensym is uninterned");
        assert_eq!(syms[9_999].name(), syms[9_999].name());
    }
}
