//! Reclaims the reference cycles the Lisp makes by itself: local functions that refer to
//! themselves or to each other through `set!`, as in
//! `(let [f nil g nil] (set! f (fn [n] ... (g ...))) (set! g (fn [n] ... (f ...))) ...)`.
//! Each function captures the other local's cell and each cell holds a function, so reference
//! counting alone never frees them.
//!
//! Only `set!` of a captured local can close such a cycle (a new closure or a new cell has no
//! referrers yet), so the cell is noted when it is set to a function that captures a cell or
//! another function. Now and then (when the notes double) a synchronous trial deletion in the
//! manner of Bacon and Rajan runs over the noted cells and what they reach through captures
//! only: cell → the function it holds → the cells and functions that function captured.
//! Every reference between two members of that subgraph is counted; a member with more
//! strong references than that is held from outside (the value stack, a global, a vector, a
//! Python callback...) and so is everything it reaches. What is left is referred to only by
//! itself: it is freed by emptying its cells. Values of any other kind are never looked into —
//! a function kept in a vector counts as held from outside — so the sweep only ever frees what
//! nothing else can reach; cycles through vectors or maps are left alone. The commonest cycle,
//! one function and its own cell, is recognised from the two reference counts without building
//! the subgraph.

use crate::runtime::value::{Closure, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

type CellRef = Rc<RefCell<Value>>;

/// Fewest notes before a sweep.
const FIRST_SWEEP: usize = 1024;
/// A sweep looks at no more than this many cells and functions per noted cell (at least
/// [`MIN_BUDGET`]), so one that reaches a very large closure graph stays proportional to the
/// notes that paid for it. Members left out count as outside holders: safe, just not freed.
const BUDGET_PER_NOTE: usize = 64;
const MIN_BUDGET: usize = 1 << 16;

thread_local! {
    static NOTED: RefCell<Vec<Weak<RefCell<Value>>>> = const { RefCell::new(Vec::new()) };
    static NEXT_SWEEP: std::cell::Cell<usize> = const { std::cell::Cell::new(FIRST_SWEEP) };
}

/// Can `v`, stored in a captured cell, close a cycle: is it a function capturing a cell or a
/// function?
fn may_close_cycle(v: &Value) -> bool {
    match v {
        Value::Func(k) => k
            .captures
            .iter()
            .any(|c| matches!(c, Value::Cell(_) | Value::Func(_))),
        _ => false,
    }
}

/// Called after `cell` was set to `v`: notes the cell if `v` may close a cycle through it.
#[inline]
pub fn note_cell_write(cell: &CellRef, v: &Value) {
    if !matches!(v, Value::Func(_)) || !may_close_cycle(v) {
        return;
    }
    let len = NOTED.with(|n| {
        let mut n = n.borrow_mut();
        n.push(Rc::downgrade(cell));
        n.len()
    });
    if len >= NEXT_SWEEP.with(|s| s.get()) {
        sweep();
    }
}

/// A member of the subgraph. Holding it adds one strong reference, subtracted when counting.
enum Node {
    Cell(CellRef),
    Func(Rc<Closure>),
}

impl Node {
    fn strong(&self) -> usize {
        match self {
            Node::Cell(c) => Rc::strong_count(c),
            Node::Func(f) => Rc::strong_count(f),
        }
    }
}

/// Hashes an allocation's address (the keys of [`Graph::index`]): one multiplication.
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64 >> 4).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type AddressMap = HashMap<usize, u32, std::hash::BuildHasherDefault<AddressHasher>>;

/// The candidate subgraph: members, the edges among them, and the references each receives
/// from other members. Kept between sweeps (emptied), so a sweep allocates nothing.
#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    index: AddressMap,
    /// Member `i`'s edges are `targets[ends[i - 1]..ends[i]]` (members are expanded in order).
    targets: Vec<u32>,
    ends: Vec<u32>,
    internal: Vec<u32>,
    /// A cell that was borrowed (cannot be looked into): held from outside.
    busy: Vec<bool>,
    live: Vec<bool>,
    work: Vec<usize>,
    /// The members that are noted cells.
    roots: Vec<usize>,
}

impl Graph {
    /// Lets go of the members; keeps the room, up to a point.
    fn clear(&mut self) {
        self.nodes.clear();
        self.index.clear();
        self.targets.clear();
        self.ends.clear();
        self.internal.clear();
        self.busy.clear();
        self.live.clear();
        self.work.clear();
        self.roots.clear();
        if self.nodes.capacity() > MIN_BUDGET {
            *self = Graph::default();
        }
    }

    /// The member for `v` (a cell or a function), added if there is room; `None` for other
    /// values and for members that did not fit.
    fn member(&mut self, v: &Value, budget: usize) -> Option<usize> {
        let key = match v {
            Value::Cell(c) => Rc::as_ptr(c) as *const u8 as usize,
            Value::Func(f) => Rc::as_ptr(f) as *const u8 as usize,
            _ => return None,
        };
        if let Some(&i) = self.index.get(&key) {
            return Some(i as usize);
        }
        if self.nodes.len() >= budget {
            return None;
        }
        let i = self.nodes.len();
        self.nodes.push(match v {
            Value::Cell(c) => Node::Cell(c.clone()),
            Value::Func(f) => Node::Func(f.clone()),
            _ => unreachable!("matched above"),
        });
        self.index.insert(key, i as u32);
        self.internal.push(0);
        self.busy.push(false);
        Some(i)
    }

    fn edge(&mut self, to: Option<usize>) {
        if let Some(j) = to {
            self.targets.push(j as u32);
            self.internal[j] += 1;
        }
    }

    /// Adds everything reachable from the members added so far (iteratively: closure chains
    /// can be long). The temporaries taken here are gone before anything is counted.
    fn expand(&mut self, budget: usize) {
        let mut i = 0;
        while i < self.nodes.len() {
            match &self.nodes[i] {
                Node::Cell(c) => {
                    let held = match c.try_borrow() {
                        Ok(v) => matches!(&*v, Value::Func(_)).then(|| v.clone()),
                        Err(_) => {
                            self.busy[i] = true;
                            None
                        }
                    };
                    if let Some(f) = held {
                        let j = self.member(&f, budget);
                        self.edge(j);
                    }
                }
                Node::Func(f) => {
                    let f = f.clone();
                    for c in f.captures.iter() {
                        let j = self.member(c, budget);
                        self.edge(j);
                    }
                }
            }
            self.ends.push(self.targets.len() as u32);
            i += 1;
        }
    }

    /// Marks (in `live`) the members something outside the subgraph reaches, directly or
    /// through members.
    fn mark_reachable_from_outside(&mut self) {
        let n = self.nodes.len();
        self.live.clear();
        self.live.resize(n, false);
        for i in 0..n {
            if self.busy[i] || self.nodes[i].strong() > self.internal[i] as usize + 1 {
                self.live[i] = true;
                self.work.push(i);
            }
        }
        while let Some(i) = self.work.pop() {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            for k in start..self.ends[i] as usize {
                let j = self.targets[k] as usize;
                if !self.live[j] {
                    self.live[j] = true;
                    self.work.push(j);
                }
            }
        }
    }
}

/// The common case without the subgraph: a cell that only its own function's captures hold,
/// holding a function that only the cell holds (`cell` itself is the caller's reference).
/// Returns what the cell held, for the caller to drop.
fn take_if_self_cycle(cell: &CellRef) -> Option<Value> {
    let garbage = {
        let v = cell.try_borrow().ok()?;
        let Value::Func(k) = &*v else {
            return None;
        };
        let self_refs = k
            .captures
            .iter()
            .filter(|c| matches!(c, Value::Cell(x) if Rc::ptr_eq(x, cell)))
            .count();
        self_refs > 0 && Rc::strong_count(k) == 1 && Rc::strong_count(cell) == self_refs + 1
    };
    garbage.then(|| std::mem::take(&mut *cell.borrow_mut()))
}

thread_local! {
    static SCRATCH: RefCell<Graph> = RefCell::new(Graph::default());
}

/// Frees the unreachable cycles among the noted cells; returns how many cells it emptied.
pub fn sweep() -> usize {
    let noted = NOTED.with(|n| std::mem::take(&mut *n.borrow_mut()));
    let budget = (noted.len() * BUDGET_PER_NOTE).max(MIN_BUDGET);
    let mut g = SCRATCH.with(|g| std::mem::take(&mut *g.borrow_mut()));
    let mut freed = 0;
    for weak in &noted {
        let Some(cell) = weak.upgrade() else {
            continue;
        };
        // Nothing is counted yet, so what this frees cannot upset the counts.
        if let Some(v) = take_if_self_cycle(&cell) {
            drop(v);
            freed += 1;
            continue;
        }
        if let Some(i) = g.member(&Value::Cell(cell), budget) {
            g.roots.push(i);
        }
    }
    g.expand(budget);
    g.mark_reachable_from_outside();

    // Empty the garbage cells. The subgraph still holds every member, so nothing is freed
    // before `clear` below.
    for (node, live) in g.nodes.iter().zip(&g.live) {
        if let (false, Node::Cell(c)) = (live, node) {
            drop(std::mem::take(&mut *c.borrow_mut()));
            freed += 1;
        }
    }
    // Live noted cells that may still close a cycle stay noted, once each (in the same vector,
    // so its room is reused).
    let mut keep = noted;
    keep.clear();
    g.roots.sort_unstable();
    g.roots.dedup();
    for &i in &g.roots {
        if let Node::Cell(c) = &g.nodes[i] {
            if g.live[i] && c.try_borrow().map_or(true, |v| may_close_cycle(&v)) {
                keep.push(Rc::downgrade(c));
            }
        }
    }
    g.clear();
    SCRATCH.with(|s| *s.borrow_mut() = g);
    let survivors = keep.len();
    let next = (2 * survivors).max(FIRST_SWEEP);
    if keep.capacity() > 4 * next {
        keep.shrink_to(next);
    }
    NOTED.with(|n| {
        let mut n = n.borrow_mut();
        // Notes taken while the garbage was dropped come after the survivors.
        let during = std::mem::replace(&mut *n, keep);
        n.extend(during);
    });
    NEXT_SWEEP.with(|s| s.set(next));
    freed
}

/// Cells noted and not yet found unreachable (a long session keeps this bounded).
pub fn noted() -> usize {
    NOTED.with(|n| n.borrow().len())
}
