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
//!
//! **Symbols made at run time are freed.** The program's own names ([`intern`]: the reader on
//! source text, the compiler) stay forever, but `(symbol s)`, `(keyword s)`, `(read-string s)`
//! and keyword arguments from Python ([`intern_dynamic`], [`reading_data`]) make *dynamic*
//! symbols: a slot in a slab holding the name and a count of the Lisp values that refer to it.
//! Such a value holds a [`SymRef`], a `Sym` whose `Clone`/`Drop` adjust that count (one test of
//! a bit for every other symbol); at zero the slot and its name are reused. Equality and hashing
//! stay a comparison of numbers because the table keeps one symbol per name at any time:
//! interning a name that is already in the table, either way, gives the symbol it already has,
//! and a permanent [`intern`] of a name that is live as a dynamic symbol *pins* that symbol
//! (it is never freed) instead of making a second one. A dynamic number carries the slot's
//! generation, so a freed symbol's number is never reused for another name.
//!
//! Why counting rather than a mark-sweep of the run-time part of the table: the roots of a
//! sweep would be every place a `Sym` may sit (values on the stack, in Python callbacks, in
//! compiled code, in caches), which cannot be listed reliably; the count sits where the
//! references are. Plain `Sym`s stay `Copy` for the compiler and analyzer; anything that turns a
//! value into code or a global name pins it first (`syntax::convert::value_to_datum`,
//! `Vm::global_id`), so a raw `Sym` never outlives its name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sym(pub u64);

/// The top bit marks a gensym; below it, the prefix's index and the counter.
const GENSYM: u64 = 1 << 63;
const COUNTER_BITS: u32 = 40;
/// More distinct gensym prefixes than this make uninterned dynamic symbols.
const MAX_PREFIXES: usize = 1 << 16;
/// The next bit (without [`GENSYM`]) marks a dynamic symbol: the slot's generation above
/// [`SLOT_BITS`], the slot below.
const DYNAMIC: u64 = 1 << 62;
const SLOT_BITS: u32 = 32;
const GENERATION_MASK: u64 = (1 << 30) - 1;
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
    /// Every interned name, permanent or dynamic, to its one symbol.
    ids: HashMap<Rc<str>, Sym>,
    /// The prefixes gensyms were made with, by index.
    prefixes: Vec<Rc<str>>,
    prefix_ids: HashMap<Rc<str>, u64>,
    /// Dynamic symbols, and the free slots among them.
    slots: Vec<Slot>,
    free: Vec<u32>,
}

struct Slot {
    generation: u64,
    entry: Option<Dynamic>,
}

struct Dynamic {
    name: Rc<str>,
    /// How many `SymRef`s hold it.
    refs: usize,
    /// Named by code or a global: never freed.
    pinned: bool,
    /// In `ids` (an uninterned gensym is not).
    interned: bool,
}

impl Sym {
    #[inline]
    fn is_dynamic(self) -> bool {
        self.0 & (GENSYM | DYNAMIC) == DYNAMIC
    }

    fn slot(self) -> (usize, u64) {
        (
            (self.0 & ((1 << SLOT_BITS) - 1)) as usize,
            (self.0 >> SLOT_BITS) & GENERATION_MASK,
        )
    }
}

impl Interner {
    fn new() -> Interner {
        let mut i = Interner {
            names: Vec::new(),
            ids: HashMap::new(),
            prefixes: Vec::new(),
            prefix_ids: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
        };
        for name in WELL_KNOWN {
            i.intern(name);
        }
        i
    }

    /// The program's own names: permanent.
    fn intern(&mut self, name: &str) -> Sym {
        if let Some(s) = self.ids.get(name).copied() {
            self.pin(s);
            return s;
        }
        let rc: Rc<str> = name.into();
        let s = Sym(self.names.len() as u64);
        self.names.push(rc.clone());
        self.ids.insert(rc, s);
        s
    }

    /// A name made at run time; the caller owns one reference to the symbol if it is dynamic.
    fn intern_dynamic(&mut self, name: &str) -> Sym {
        if let Some(s) = self.ids.get(name).copied() {
            self.retain(s);
            return s;
        }
        let rc: Rc<str> = name.into();
        let s = self.new_dynamic(rc.clone(), true);
        self.ids.insert(rc, s);
        s
    }

    /// A dynamic symbol with one reference.
    fn new_dynamic(&mut self, name: Rc<str>, interned: bool) -> Sym {
        let index = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    entry: None,
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        slot.entry = Some(Dynamic {
            name,
            refs: 1,
            pinned: false,
            interned,
        });
        Sym(DYNAMIC | slot.generation << SLOT_BITS | index as u64)
    }

    fn entry(&self, s: Sym) -> Option<&Dynamic> {
        let (index, generation) = s.slot();
        let slot = self.slots.get(index)?;
        (slot.generation == generation)
            .then_some(slot.entry.as_ref())
            .flatten()
    }

    fn entry_mut(&mut self, s: Sym) -> Option<&mut Dynamic> {
        let (index, generation) = s.slot();
        let slot = self.slots.get_mut(index)?;
        (slot.generation == generation)
            .then_some(slot.entry.as_mut())
            .flatten()
    }

    fn pin(&mut self, s: Sym) {
        if s.is_dynamic() {
            if let Some(e) = self.entry_mut(s) {
                e.pinned = true;
            }
        }
    }

    fn retain(&mut self, s: Sym) {
        if s.is_dynamic() {
            if let Some(e) = self.entry_mut(s) {
                e.refs += 1;
            }
        }
    }

    fn release(&mut self, s: Sym) {
        let Some(e) = self.entry_mut(s) else {
            return;
        };
        e.refs -= 1;
        if e.refs > 0 || e.pinned {
            return;
        }
        let (index, _) = s.slot();
        let slot = &mut self.slots[index];
        let e = slot.entry.take().expect("the entry was just seen");
        slot.generation = (slot.generation + 1) & GENERATION_MASK;
        if e.interned {
            self.ids.remove(&e.name);
        }
        self.free.push(index as u32);
    }

    fn gensym(&mut self, prefix: &str, n: u64) -> Sym {
        let id = match self.prefix_ids.get(prefix) {
            Some(id) => Some(*id),
            None if self.prefixes.len() < MAX_PREFIXES => {
                let rc: Rc<str> = prefix.into();
                let id = self.prefixes.len() as u64;
                self.prefixes.push(rc.clone());
                self.prefix_ids.insert(rc, id);
                Some(id)
            }
            None => None,
        };
        match id {
            Some(id) if n < 1 << COUNTER_BITS => Sym(GENSYM | id << COUNTER_BITS | n),
            // Out of prefixes: the name lives in a slot, still uninterned.
            _ => self.new_dynamic(format!("{prefix}__{n}").into(), false),
        }
    }
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::new());
    /// While [`reading_data`] runs: the references that keep the symbols it read alive.
    static READING_DATA: RefCell<Option<Vec<SymRef>>> = const { RefCell::new(None) };
}

/// The symbol for `name`, kept for the life of the thread: for the program's own names (the
/// reader on source text, the compiler, builtins' names).
pub fn intern(name: &str) -> Sym {
    INTERNER.with(|i| i.borrow_mut().intern(name))
}

/// The symbol for a name made at run time (`(symbol s)`, `(keyword s)`): the same symbol as
/// [`intern`] gives if the name is in the table, else one that is freed with its last
/// reference.
pub fn intern_dynamic(name: &str) -> SymRef {
    SymRef(INTERNER.with(|i| i.borrow_mut().intern_dynamic(name)))
}

/// The symbol named `name` if there is one now (it is not made).
pub fn lookup(name: &str) -> Option<Sym> {
    INTERNER.with(|i| i.borrow().ids.get(name).copied())
}

/// Makes `s` permanent (it names code or a global now); returns it.
pub fn pin(s: Sym) -> Sym {
    if s.is_dynamic() {
        INTERNER.with(|i| i.borrow_mut().pin(s));
    }
    s
}

/// Runs `f` (which reads data, as `read-string` does) with the reader making dynamic symbols;
/// they stay alive until `f` returns, so `f` should turn what it read into values.
pub fn reading_data<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Vec<SymRef>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let held =
                READING_DATA.with(|r| std::mem::replace(&mut *r.borrow_mut(), self.0.take()));
            drop(held);
        }
    }
    let _restore = Restore(READING_DATA.with(|r| r.borrow_mut().replace(Vec::new())));
    f()
}

/// What the reader calls for a symbol or keyword: [`intern`], or inside [`reading_data`] a
/// dynamic symbol kept alive until it ends.
pub fn intern_read(name: &str) -> Sym {
    READING_DATA.with(|r| match &mut *r.borrow_mut() {
        Some(held) => {
            let s = intern_dynamic(name);
            let sym = s.sym();
            held.push(s);
            sym
        }
        None => intern(name),
    })
}

/// Live dynamic symbols, and the slots the table has for them (freed ones are reused).
pub fn dynamic_symbols() -> (usize, usize) {
    INTERNER.with(|i| {
        let i = i.borrow();
        (i.slots.len() - i.free.len(), i.slots.len())
    })
}

/// How many names are interned permanently.
pub fn permanent_symbols() -> usize {
    INTERNER.with(|i| i.borrow().names.len())
}

impl Sym {
    pub fn name(self) -> Rc<str> {
        INTERNER.with(|i| {
            let i = i.borrow();
            if self.0 & GENSYM != 0 {
                let prefix = (self.0 & !GENSYM) >> COUNTER_BITS;
                let n = self.0 & ((1 << COUNTER_BITS) - 1);
                return format!("{}__{n}", i.prefixes[prefix as usize]).into();
            }
            if self.0 & DYNAMIC != 0 {
                return match i.entry(self) {
                    Some(e) => e.name.clone(),
                    None => {
                        debug_assert!(false, "a freed symbol was used: {self:?}");
                        "#<freed-symbol>".into()
                    }
                };
            }
            i.names[self.0 as usize].clone()
        })
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// A symbol as a Lisp value holds it: counts as a reference to a dynamic symbol (see the
/// module header); for any other symbol, `Clone` and `Drop` are one test of a bit.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SymRef(Sym);

impl SymRef {
    /// Another reference to `s` (which something else keeps alive now).
    #[inline]
    pub fn new(s: Sym) -> SymRef {
        if s.is_dynamic() {
            retain(s);
        }
        SymRef(s)
    }

    #[inline]
    pub fn sym(&self) -> Sym {
        self.0
    }

    /// A copy that needs no count: `None` for a dynamic symbol (clone that one).
    #[inline]
    pub fn try_copy(&self) -> Option<SymRef> {
        // Not `then_some`: that would make (and drop, uncounting) a `SymRef` either way.
        if self.0.is_dynamic() {
            None
        } else {
            Some(SymRef(self.0))
        }
    }
}

impl From<Sym> for SymRef {
    fn from(s: Sym) -> SymRef {
        SymRef::new(s)
    }
}

impl std::ops::Deref for SymRef {
    type Target = Sym;
    fn deref(&self) -> &Sym {
        &self.0
    }
}

impl Clone for SymRef {
    #[inline]
    fn clone(&self) -> SymRef {
        SymRef::new(self.0)
    }
}

impl Drop for SymRef {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_dynamic() {
            release(self.0);
        }
    }
}

#[cold]
#[inline(never)]
fn retain(s: Sym) {
    let _ = INTERNER.try_with(|i| i.borrow_mut().retain(s));
}

#[cold]
#[inline(never)]
fn release(s: Sym) {
    // At thread exit the table may be gone already; then there is nothing to free.
    let _ = INTERNER.try_with(|i| i.borrow_mut().release(s));
}

fn next_gensym() -> u64 {
    thread_local! { static COUNTER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) }; }
    COUNTER.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

/// A fresh symbol that no reader input can produce (`G__12`), for hygienic macros; permanent.
pub fn gensym(prefix: &str) -> Sym {
    let n = next_gensym();
    INTERNER.with(|i| {
        let mut i = i.borrow_mut();
        let s = i.gensym(prefix, n);
        i.pin(s);
        s
    })
}

/// `(gensym prefix)` at run time: as [`gensym`], but freed with its last reference if it had
/// to take a slot (more than 65,536 distinct prefixes).
pub fn gensym_dynamic(prefix: &str) -> SymRef {
    let n = next_gensym();
    SymRef(INTERNER.with(|i| i.borrow_mut().gensym(prefix, n)))
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

    fn live() -> usize {
        dynamic_symbols().0
    }

    #[test]
    fn a_dynamic_symbol_of_a_known_name_is_the_known_symbol() {
        let quote = intern_dynamic("quote");
        assert_eq!(quote.sym(), sym::QUOTE);
        let x = intern("x-known");
        assert_eq!(intern_dynamic("x-known").sym(), x);
        assert_eq!(live(), 0);
    }

    #[test]
    fn dynamic_symbols_are_one_per_name_and_freed_with_their_last_reference() {
        let a = intern_dynamic("dyn-a");
        let b = intern_dynamic("dyn-a");
        assert_eq!(a, b);
        assert_eq!(&*a.name(), "dyn-a");
        assert!(a.sym().is_dynamic());
        let c = a.clone();
        drop(a);
        drop(b);
        assert_eq!(live(), 1, "a clone keeps it");
        assert_eq!(lookup("dyn-a"), Some(c.sym()));
        let old = c.sym();
        drop(c);
        assert_eq!(live(), 0);
        assert_eq!(lookup("dyn-a"), None);
        // Made again, it is a new number: the old one can never name something else.
        let again = intern_dynamic("dyn-a");
        assert_ne!(again.sym(), old);
        assert_eq!(&*again.name(), "dyn-a");
    }

    #[test]
    fn the_table_stays_flat_under_churn() {
        let permanent = permanent_symbols();
        for i in 0..100_000 {
            let s = intern_dynamic(&format!("churn{i}"));
            let k = SymRef::new(s.sym());
            assert_eq!(&*k.name(), format!("churn{i}"));
        }
        assert_eq!(dynamic_symbols(), (0, 1), "one slot, reused");
        assert_eq!(permanent_symbols(), permanent);
    }

    #[test]
    fn copies_and_clones_count_right() {
        let d = intern_dynamic("dyn-copied");
        assert!(d.try_copy().is_none());
        let clones: Vec<SymRef> = (0..3).map(|_| d.clone()).collect();
        drop(d);
        assert_eq!(live(), 1);
        drop(clones);
        assert_eq!(live(), 0);
        let q = SymRef::new(sym::QUOTE);
        assert_eq!(q.try_copy(), Some(SymRef::new(sym::QUOTE)));
    }

    #[test]
    fn interning_a_live_dynamic_name_pins_it() {
        let d = intern_dynamic("dyn-pinned");
        let p = intern("dyn-pinned");
        assert_eq!(p, d.sym(), "one symbol per name");
        drop(d);
        assert_eq!(live(), 1, "pinned: never freed");
        assert_eq!(&*p.name(), "dyn-pinned");
        assert_eq!(intern_dynamic("dyn-pinned").sym(), p);
        let e = intern_dynamic("dyn-pin-2");
        assert_eq!(pin(e.sym()), e.sym());
        let raw = e.sym();
        drop(e);
        assert_eq!(&*raw.name(), "dyn-pin-2");
        assert_eq!(intern("dyn-pin-2"), raw);
    }

    #[test]
    fn reading_data_makes_dynamic_symbols_that_live_until_it_ends() {
        let outside = intern_read("read-outside");
        assert!(!outside.is_dynamic());
        let kept = reading_data(|| {
            let s = intern_read("read-inside");
            assert!(s.is_dynamic());
            assert_eq!(intern_read("read-outside"), outside);
            let _dropped = intern_read("read-dropped");
            SymRef::new(s)
        });
        assert_eq!(live(), 1, "only what was kept");
        assert_eq!(&*kept.name(), "read-inside");
        drop(kept);
        assert_eq!(live(), 0);
    }

    #[test]
    fn gensyms_past_the_prefix_table_take_a_slot_and_are_freed() {
        for i in 0..MAX_PREFIXES {
            gensym(&format!("p{i}"));
        }
        let g = gensym_dynamic("one-too-many");
        assert!(g.sym().is_dynamic());
        assert!(g.name().starts_with("one-too-many__"));
        assert_eq!(lookup(&g.name()), None, "uninterned");
        drop(g);
        assert_eq!(live(), 0);
        let compiled = gensym("one-too-many");
        assert!(compiled.is_dynamic());
        assert_eq!(live(), 1, "a gensym for code is kept");
    }
}
