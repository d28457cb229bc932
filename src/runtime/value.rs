//! [`Value`]: what the Lisp computes with. Sixteen bytes (asserted below), cheap to clone:
//! immediates inline, everything else behind an `Rc`.
//!
//! Lists are immutable cons cells that know their length (so `rest` and `cons` are O(1) and
//! `count` is too); vectors and maps are `Rc`'d collections updated copy-on-write. Equality
//! follows Python where the two disagree with Clojure: `(= 1 1.0)` is true, and lists equal
//! vectors with the same elements. Hashing agrees with equality.

use crate::runtime::error::LispError;
use crate::runtime::Vm;
use crate::symbol::{Sym, SymRef};
use indexmap::IndexMap;
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// The items of a vector. A newtype so that freeing deeply nested vectors can be made
/// iterative (see `Drop` below); it dereferences to `Vec<Value>`.
#[derive(Clone, Default)]
pub struct Items(pub Vec<Value>);

/// The entries of a map, in insertion order; dereferences to an `IndexMap`.
#[derive(Clone, Default)]
pub struct Map(pub IndexMap<Value, Value>);

impl Map {
    pub fn new() -> Map {
        Map(IndexMap::new())
    }
    pub fn with_capacity(n: usize) -> Map {
        Map(IndexMap::with_capacity(n))
    }
}

impl std::ops::Deref for Items {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Items {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl std::ops::Deref for Map {
    type Target = IndexMap<Value, Value>;
    fn deref(&self) -> &IndexMap<Value, Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Map {
    fn deref_mut(&mut self) -> &mut IndexMap<Value, Value> {
        &mut self.0
    }
}

#[derive(Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Only for integers outside `i64`: results that fit are always demoted to `Int`.
    Big(Rc<BigInt>),
    Str(Rc<String>),
    /// A symbol or keyword holds a [`SymRef`]: it keeps a symbol made at run time alive.
    Symbol(SymRef),
    Keyword(SymRef),
    List(List),
    Vector(Rc<Items>),
    Map(Rc<Map>),
    Func(Rc<Closure>),
    Builtin(&'static Builtin),
    Macro(Rc<Closure>),
    /// A caught error, as bound by `(catch e ...)`.
    Error(Rc<LispError>),
    /// A typed array (`float32array` ...): memory that NumPy can share without copying.
    Array(Rc<crate::buffer::SharedBuffer>),
    /// A host (Python) object: a handle into its backend's table.
    Host(Rc<crate::runtime::host::HostRef>),
    /// A host attribute chain not yet run (`(. np sum)`, `($py "numpy")`).
    Lazy(Rc<crate::runtime::host::Lazy>),
    /// Internal: a boxed local that a closure captured and someone `set!`s. Never user-visible.
    Cell(Rc<RefCell<Value>>),
    /// Internal: a global slot that has no value yet. Never user-visible.
    Unbound,
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

impl Clone for Value {
    // What `derive` writes, except that symbols are cloned out of line (a tail call): the
    // reference count of a symbol made at run time (see `symbol`) would otherwise give every
    // clone a stack frame. Not marked `#[inline]`: with it, the call-heavy loops of the
    // benchmarks ran about 1% more instructions (callgrind).
    fn clone(&self) -> Value {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Big(b) => Value::Big(b.clone()),
            Value::Str(s) => Value::Str(s.clone()),
            Value::Symbol(_) | Value::Keyword(_) => clone_symbol(self),
            Value::List(l) => Value::List(l.clone()),
            Value::Vector(v) => Value::Vector(v.clone()),
            Value::Map(m) => Value::Map(m.clone()),
            Value::Func(f) => Value::Func(f.clone()),
            Value::Builtin(b) => Value::Builtin(b),
            Value::Macro(m) => Value::Macro(m.clone()),
            Value::Error(e) => Value::Error(e.clone()),
            Value::Array(a) => Value::Array(a.clone()),
            Value::Host(h) => Value::Host(h.clone()),
            Value::Lazy(l) => Value::Lazy(l.clone()),
            Value::Cell(c) => Value::Cell(c.clone()),
            Value::Unbound => Value::Unbound,
        }
    }
}

/// A symbol or keyword: copied as it is unless it was made at run time.
#[inline(never)]
fn clone_symbol(v: &Value) -> Value {
    match v {
        Value::Symbol(s) => match s.try_copy() {
            Some(s) => Value::Symbol(s),
            None => clone_counted_symbol(v),
        },
        Value::Keyword(s) => match s.try_copy() {
            Some(s) => Value::Keyword(s),
            None => clone_counted_symbol(v),
        },
        _ => unreachable!("only symbols come here"),
    }
}

/// A symbol made at run time: the clone counts.
#[inline(never)]
fn clone_counted_symbol(v: &Value) -> Value {
    match v {
        Value::Symbol(s) => Value::Symbol(s.clone()),
        Value::Keyword(s) => Value::Keyword(s.clone()),
        _ => unreachable!("only symbols come here"),
    }
}

/// An immutable list. `List(None)` is the empty list `()`.
#[derive(Clone, Default)]
pub struct List(pub Option<Rc<Cons>>);

pub struct Cons {
    pub head: Value,
    pub tail: List,
    pub len: usize,
}

impl Drop for Cons {
    // A long list would otherwise be dropped recursively, one stack frame per cell; the heads
    // go through `drop_child`, so lists nested through their *heads* are depth-safe too.
    fn drop(&mut self) {
        drop_child(std::mem::take(&mut self.head));
        let mut next = self.tail.0.take();
        while let Some(rc) = next {
            match Rc::try_unwrap(rc) {
                Ok(mut cell) => {
                    drop_child(std::mem::take(&mut cell.head));
                    next = cell.tail.0.take();
                }
                Err(_) => break,
            }
        }
    }
}

impl List {
    pub fn empty() -> List {
        List(None)
    }
    pub fn cons(head: Value, tail: List) -> List {
        let len = tail.len() + 1;
        List(Some(Rc::new(Cons { head, tail, len })))
    }
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |c| c.len)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
    pub fn first(&self) -> Option<&Value> {
        self.0.as_ref().map(|c| &c.head)
    }
    pub fn rest(&self) -> List {
        self.0.as_ref().map_or(List(None), |c| c.tail.clone())
    }
    pub fn iter(&self) -> ListIter<'_> {
        ListIter(self.0.as_deref())
    }
    pub fn from_vec(items: Vec<Value>) -> List {
        let mut l = List::empty();
        for v in items.into_iter().rev() {
            l = List::cons(v, l);
        }
        l
    }
}

impl FromIterator<Value> for List {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> List {
        List::from_vec(iter.into_iter().collect())
    }
}

pub struct ListIter<'a>(Option<&'a Cons>);

impl<'a> Iterator for ListIter<'a> {
    type Item = &'a Value;
    fn next(&mut self) -> Option<&'a Value> {
        let c = self.0?;
        self.0 = c.tail.0.as_deref();
        Some(&c.head)
    }
}

/// A compiled function together with the values it captured.
pub struct Closure {
    pub proto: Rc<crate::runtime::function::Proto>,
    pub captures: Box<[Value]>,
}

impl Drop for Closure {
    // A chain of closures, each capturing the previous one, is freed without recursion.
    fn drop(&mut self) {
        if self.captures.iter().any(may_recurse) {
            for v in std::mem::take(&mut self.captures).into_vec() {
                drop_child(v);
            }
        }
    }
}

pub type BuiltinResult = Result<Value, Box<LispError>>;

/// How a builtin receives its arguments: `Pure` ones borrow them from the value stack (no
/// copy; arithmetic and collection functions), `WithVm` ones may call back into Lisp
/// (`map`, `apply`) and so get their own vector.
#[derive(Clone, Copy)]
pub enum BuiltinFn {
    Pure(fn(&[Value]) -> BuiltinResult),
    WithVm(fn(&mut Vm, Vec<Value>) -> BuiltinResult),
}

pub struct Builtin {
    pub name: &'static str,
    pub min_args: usize,
    /// `None`: any number of arguments.
    pub max_args: Option<usize>,
    pub f: BuiltinFn,
    pub doc: &'static str,
    /// How the builtin takes host (Python) values among its arguments.
    pub host: HostArgs,
}

/// How a builtin takes host values: declared beside each builtin, applied by the VM.
#[derive(Clone, Copy, Debug)]
pub enum HostArgs {
    /// As they are (handles).
    None,
    /// The arguments at these positions may be host iterables: their items are pulled into a
    /// vector first, as many as `Pull` says.
    Items(&'static [usize], Pull),
    /// The host answers the whole call when the first argument is a host object
    /// (`(get obj key)` is `obj[key]`, `(count obj)` is `len(obj)`).
    First(HostOp),
    /// The host answers the whole call when any argument is a host object (operators:
    /// `(+ a 1)` is `a + 1`).
    Any(HostOp),
    /// The host answers the whole call when an argument after the first is a host
    /// *iterator* (single-pass, maybe infinite): `(map f it)` stays lazy.
    Iterators(HostOp),
}

/// What a builtin means when the host answers it. The runtime names these operations without
/// knowing how the host performs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOp {
    /// `obj[key]`, or the default on a missing key or index.
    Get,
    Count,
    Contains,
    Keys,
    Vals,
    Assoc,
    Dissoc,
    Conj,
    /// `nth`: `obj[i]`, or the default.
    Nth,
    Arith(Arith),
    Compare(Compare),
    /// `not=`.
    NotEqual,
    Identical,
    Truthy,
    /// `(throw x)` of a host object: raised as that host exception.
    Throw,
    /// A sequence function that stays lazy on host iterators.
    Lazy(LazyOp),
    BitNot,
    Inc,
    Dec,
}

/// The sequence functions that stay lazy on host iterators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazyOp {
    Map,
    Filter,
    Remove,
    Keep,
    TakeWhile,
    DropWhile,
    Mapcat,
    Partition,
    Drop,
}

/// The arithmetic and bitwise operators a host may overload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    MatMul,
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
}

/// The comparisons a host may overload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// How many items of a host iterable a builtin needs.
#[derive(Clone, Copy, Debug)]
pub enum Pull {
    All,
    /// Just the first (`first`, `empty?`).
    One,
    /// As many as the first argument says (`take`).
    FirstArg,
}

impl Pull {
    pub fn limit(self, args: &[Value]) -> Option<usize> {
        match self {
            Pull::All => None,
            Pull::One => Some(1),
            Pull::FirstArg => match args.first() {
                Some(Value::Int(n)) => Some((*n).max(0) as usize),
                _ => None,
            },
        }
    }
}

impl Value {
    /// The symbol `s` as a value (another reference to it, if it was made at run time).
    pub fn symbol(s: Sym) -> Value {
        Value::Symbol(SymRef::new(s))
    }

    pub fn keyword(s: Sym) -> Value {
        Value::Keyword(SymRef::new(s))
    }

    pub fn str(s: &str) -> Value {
        Value::Str(Rc::new(s.to_string()))
    }

    pub fn vector(items: Vec<Value>) -> Value {
        Value::Vector(Rc::new(Items(items)))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::from_vec(items))
    }

    pub fn from_bigint(b: BigInt) -> Value {
        match b.to_i64() {
            Some(i) => Value::Int(i),
            None => Value::Big(Rc::new(b)),
        }
    }

    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// The name `type-of` returns, also used in type errors.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) | Value::Big(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Str(_) => "string".into(),
            Value::Symbol(_) => "symbol".into(),
            Value::Keyword(_) => "keyword".into(),
            Value::List(_) => "list".into(),
            Value::Vector(_) => "vector".into(),
            Value::Map(_) => "map".into(),
            Value::Func(_) | Value::Builtin(_) => "fn".into(),
            Value::Macro(_) => "macro".into(),
            // A caught Python exception is of its Python class.
            Value::Error(e) => match &e.host_exception {
                Some(x) => x.host.type_name(x),
                None => "error".into(),
            },
            Value::Array(b) => format!("{}array", b.dtype().name()),
            Value::Host(r) => r.host.type_name(r),
            Value::Lazy(_) => "py-chain".into(),
            Value::Cell(_) => "cell".into(),
            Value::Unbound => "unbound".into(),
        }
    }

    /// Elements of a list or vector, if it is one.
    pub fn as_seq(&self) -> Option<Vec<Value>> {
        match self {
            Value::List(l) => Some(l.iter().cloned().collect()),
            Value::Vector(v) => Some(v.0.clone()),
            _ => None,
        }
    }

    pub fn is_host(&self) -> bool {
        matches!(self, Value::Host(_) | Value::Lazy(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_) | Value::Big(_))
    }
}

fn seq_items(v: &Value) -> Option<Box<dyn Iterator<Item = &Value> + '_>> {
    match v {
        Value::List(l) => Some(Box::new(l.iter())),
        Value::Vector(v) => Some(Box::new(v.iter())),
        _ => None,
    }
}

fn seq_len(v: &Value) -> usize {
    match v {
        Value::List(l) => l.len(),
        Value::Vector(v) => v.len(),
        _ => 0,
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        // Nested collections compare recursively; grow the stack instead of overflowing it.
        crate::stack::guarded(|| self.eq_inner(other))
    }
}

impl Value {
    fn eq_inner(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Nil, Nil) | (Unbound, Unbound) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => {
                (*a as f64) == *b && b.fract() == 0.0 && {
                    // Exact: compare as integers when the float is integral and in range.
                    b.to_i64() == Some(*a)
                }
            }
            (Big(a), Big(b)) => a == b,
            (Big(a), Float(b)) | (Float(b), Big(a)) => a.to_f64() == Some(*b),
            (Str(a), Str(b)) => a == b,
            (Symbol(a), Symbol(b)) | (Keyword(a), Keyword(b)) => a == b,
            (List(_) | Vector(_), List(_) | Vector(_)) => {
                seq_len(self) == seq_len(other)
                    && seq_items(self)
                        .into_iter()
                        .flatten()
                        .zip(seq_items(other).into_iter().flatten())
                        .all(|(a, b)| a == b)
            }
            (Map(a), Map(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w))
            }
            (Func(a), Func(b)) | (Macro(a), Macro(b)) => Rc::ptr_eq(a, b),
            (Builtin(a), Builtin(b)) => std::ptr::eq(*a, *b),
            (Error(a), Error(b)) => Rc::ptr_eq(a, b),
            (Host(a), Host(b)) => a.id == b.id,
            (Array(a), Array(b)) => {
                a.dtype() == b.dtype()
                    && a.len() == b.len()
                    && (0..a.len()).all(|i| a.get(i) == b.get(i))
            }
            (Lazy(a), Lazy(b)) => Rc::ptr_eq(a, b),
            (Cell(a), Cell(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        crate::stack::guarded(|| self.hash_inner(state))
    }
}

impl Value {
    fn hash_inner<H: Hasher>(&self, state: &mut H) {
        use Value::*;
        match self {
            Nil | Unbound => 0u8.hash(state),
            Bool(b) => b.hash(state),
            Int(i) => i.hash(state),
            // Equal numbers hash equally: an integral float as the integer it equals, whether
            // that fits in `i64` or is a big integer (as Python does).
            Float(f) if f.fract() == 0.0 => match f.to_i64() {
                Some(i) => i.hash(state),
                None => match num_traits::FromPrimitive::from_f64(*f) {
                    Some(b) => BigInt::hash(&b, state),
                    None => f.to_bits().hash(state),
                },
            },
            Float(f) => f.to_bits().hash(state),
            Big(b) => b.hash(state),
            Str(s) => s.hash(state),
            Symbol(s) => (1u8, s).hash(state),
            Keyword(s) => (2u8, s).hash(state),
            List(_) | Vector(_) => {
                3u8.hash(state);
                for v in seq_items(self).into_iter().flatten() {
                    v.hash(state);
                }
            }
            Map(m) => {
                4u8.hash(state);
                m.len().hash(state);
            }
            Func(f) | Macro(f) => (Rc::as_ptr(f) as usize).hash(state),
            Builtin(b) => (*b as *const _ as usize).hash(state),
            Error(e) => (Rc::as_ptr(e) as usize).hash(state),
            Host(r) => r.id.hash(state),
            Array(b) => (b.dtype(), b.len()).hash(state),
            Lazy(l) => (Rc::as_ptr(l) as usize).hash(state),
            Cell(c) => (Rc::as_ptr(c) as usize).hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_small() {
        assert!(
            std::mem::size_of::<Value>() <= 16,
            "{}",
            std::mem::size_of::<Value>()
        );
    }

    #[test]
    fn numeric_equality_follows_python() {
        assert_eq!(Value::Int(1), Value::Float(1.0));
        assert_ne!(Value::Int(1), Value::Float(1.5));
        assert_eq!(
            Value::list(vec![Value::Int(1)]),
            Value::vector(vec![Value::Int(1)])
        );
    }

    #[test]
    fn equal_numbers_hash_equally() {
        use std::collections::hash_map::DefaultHasher;
        let h = |v: &Value| {
            let mut s = DefaultHasher::new();
            v.hash(&mut s);
            s.finish()
        };
        let big = Value::from_bigint("100000000000000000000".parse().unwrap());
        let pairs = [
            (big, Value::Float(1e20)),
            (Value::Int(3), Value::Float(3.0)),
            (Value::Int(-7), Value::Float(-7.0)),
            (
                Value::from_bigint(BigInt::from(2).pow(70)),
                Value::Float(2f64.powi(70)),
            ),
        ];
        for (a, b) in &pairs {
            assert_eq!(a, b);
            assert_eq!(h(a), h(b), "{a:?} and {b:?}");
        }
    }

    #[test]
    fn long_list_drops_without_overflow() {
        let mut l = List::empty();
        for i in 0..1_000_000 {
            l = List::cons(Value::Int(i), l);
        }
        assert_eq!(l.len(), 1_000_000);
        drop(l);
    }
}

thread_local! {
    static DROP_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static DEFERRED: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// How many containers deep a drop recurses on the Rust stack before setting the rest aside.
const DROP_NESTING: u32 = 128;

/// Would dropping `v` free a container (and so recurse into its contents)? Only the last
/// reference to a non-empty list, vector, map, closure with captures, cell or error does.
fn may_recurse(v: &Value) -> bool {
    match v {
        Value::List(l) => l.0.as_ref().is_some_and(|c| Rc::strong_count(c) == 1),
        Value::Vector(items) => Rc::strong_count(items) == 1 && !items.is_empty(),
        Value::Map(m) => Rc::strong_count(m) == 1 && !m.is_empty(),
        Value::Func(c) | Value::Macro(c) => Rc::strong_count(c) == 1 && !c.captures.is_empty(),
        Value::Cell(c) => Rc::strong_count(c) == 1,
        Value::Error(e) => Rc::strong_count(e) == 1,
        _ => false,
    }
}

/// Every container frees its contents through here, so freeing Lisp data never overflows the
/// stack, however it is nested (lists through their heads or tails, vectors, maps, closures'
/// captures, cells): past `DROP_NESTING` levels a value is set aside, and the outermost drop
/// frees what was set aside, one value at a time.
fn drop_child(v: Value) {
    if !may_recurse(&v) {
        return;
    }
    let Ok(depth) = DROP_DEPTH.try_with(|d| d.get()) else {
        return; // the thread is exiting: plain drop
    };
    if depth >= DROP_NESTING {
        // If the thread is exiting, the closure (and `v` with it) is dropped plainly.
        let _ = DEFERRED.try_with(move |q| q.borrow_mut().push(v));
        return;
    }
    // `try_with` throughout: values kept in other thread-locals may be freed after these are.
    let _ = DROP_DEPTH.try_with(|d| d.set(depth + 1));
    drop(v);
    if depth == 0 {
        // Still marked one level deep, so the values freed here set aside their own deep
        // contents instead of starting a drain of their own.
        while let Some(next) = DEFERRED.try_with(|q| q.borrow_mut().pop()).ok().flatten() {
            drop(next);
        }
    }
    let _ = DROP_DEPTH.try_with(|d| d.set(depth));
}

impl Drop for Items {
    fn drop(&mut self) {
        if self.0.iter().any(may_recurse) {
            for v in std::mem::take(&mut self.0) {
                drop_child(v);
            }
        }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        if !self.0.iter().any(|(k, v)| may_recurse(k) || may_recurse(v)) {
            return;
        }
        for (k, v) in std::mem::take(&mut self.0) {
            drop_child(k);
            drop_child(v);
        }
    }
}
