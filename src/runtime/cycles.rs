//! Reclaims the reference cycle the Lisp makes by itself: a local function that refers to
//! itself through `set!` (`(let [f nil] (set! f (fn [n] ... (f ...))) f)`). The function
//! captures the local's cell and the cell holds the function, so reference counting alone never
//! frees the pair.
//!
//! Each such cell is noted when it is written. Now and then (when the notes double) the noted
//! cells are swept: a cell whose only owners are its own function's captures, holding a
//! function that only the cell holds, is unreachable — the pair is freed by emptying the cell.
//! The rule only ever frees what nothing else can reach; longer cycles (two functions through
//! two cells) are left alone.

use crate::runtime::value::Value;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

type CellRef = Rc<RefCell<Value>>;

/// Fewest notes before a sweep.
const FIRST_SWEEP: usize = 1024;

thread_local! {
    static NOTED: RefCell<Vec<Weak<RefCell<Value>>>> = const { RefCell::new(Vec::new()) };
    static NEXT_SWEEP: std::cell::Cell<usize> = const { std::cell::Cell::new(FIRST_SWEEP) };
}

/// How many of `f`'s captures are `cell` (0: no cycle through it).
fn self_refs(f: &Value, cell: &CellRef) -> usize {
    match f {
        Value::Func(k) => k
            .captures
            .iter()
            .filter(|c| matches!(c, Value::Cell(x) if Rc::ptr_eq(x, cell)))
            .count(),
        _ => 0,
    }
}

/// Called after `cell` was set to `v`: notes the cell if `v` is a function capturing it.
#[inline]
pub fn note_cell_write(cell: &CellRef, v: &Value) {
    if !matches!(v, Value::Func(_)) || self_refs(v, cell) == 0 {
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

/// Frees the unreachable self-referencing pairs among the noted cells; returns how many.
pub fn sweep() -> usize {
    let noted = NOTED.with(|n| std::mem::take(&mut *n.borrow_mut()));
    let mut keep = Vec::with_capacity(noted.len());
    let mut freed = 0;
    for weak in noted {
        let Some(cell) = weak.upgrade() else {
            continue;
        };
        let (refs, garbage) = {
            let v = cell.borrow();
            let refs = self_refs(&v, &cell);
            let only_the_cell_holds_it = matches!(&*v, Value::Func(k) if Rc::strong_count(k) == 1);
            // Owners of the cell: its function's captures, and `cell` here.
            (
                refs,
                refs > 0 && only_the_cell_holds_it && Rc::strong_count(&cell) == refs + 1,
            )
        };
        if garbage {
            let f = std::mem::take(&mut *cell.borrow_mut());
            drop(f);
            freed += 1;
        } else if refs > 0 {
            keep.push(weak);
        }
    }
    let survivors = keep.len();
    NOTED.with(|n| n.borrow_mut().extend(keep));
    NEXT_SWEEP.with(|s| s.set((2 * survivors).max(FIRST_SWEEP)));
    freed
}

/// Cells noted and not yet found unreachable (a long session keeps this bounded).
pub fn noted() -> usize {
    NOTED.with(|n| n.borrow().len())
}
