//! The handle table: Python objects the Lisp side holds, addressed by [`HandleId`] with a
//! generation per slot, and the deferred release queue.
//!
//! Dropping a Lisp handle never touches Python (it may happen anywhere, without the GIL): the
//! `Drop` only pushes the id onto the [`ReleaseQueue`]; the backend drains the queue at the start
//! of its next request, under the GIL. The table is generic over the stored object so it has no
//! pyo3 in it.

use crate::ids::{HandleId, OwnerId};
use std::cell::RefCell;
use std::rc::Rc;

/// Shared between the backend (drains) and every Lisp handle (pushes on drop).
#[derive(Clone, Default)]
pub struct ReleaseQueue(Rc<RefCell<Vec<HandleId>>>);

impl ReleaseQueue {
    pub fn push(&self, id: HandleId) {
        self.0.borrow_mut().push(id);
    }
    pub fn take(&self) -> Vec<HandleId> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
}

struct Slot<T> {
    object: Option<T>,
    generation: u32,
}

pub struct HandleTable<T> {
    owner: OwnerId,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> HandleTable<T> {
    /// An empty table whose ids name `owner`.
    pub fn new(owner: OwnerId) -> HandleTable<T> {
        HandleTable {
            owner,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    pub fn insert(&mut self, object: T) -> HandleId {
        self.live += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.object = Some(object);
            return HandleId {
                owner: self.owner,
                index,
                generation: slot.generation,
            };
        }
        self.slots.push(Slot {
            object: Some(object),
            generation: 0,
        });
        HandleId {
            owner: self.owner,
            index: (self.slots.len() - 1) as u32,
            generation: 0,
        }
    }

    pub fn get(&self, id: HandleId) -> Option<&T> {
        if id.owner != self.owner {
            return None;
        }
        let slot = self.slots.get(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.object.as_ref()
    }

    /// Frees the slot; a stale or double release is ignored (returns `None`).
    pub fn remove(&mut self, id: HandleId) -> Option<T> {
        if id.owner != self.owner {
            return None;
        }
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation || slot.object.is_none() {
            return None;
        }
        let obj = slot.object.take();
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        self.live -= 1;
        obj
    }

    pub fn live(&self) -> usize {
        self.live
    }

    pub fn ids(&self) -> Vec<HandleId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.object.is_some())
            .map(|(i, s)| HandleId {
                owner: self.owner,
                index: i as u32,
                generation: s.generation,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_catch_stale_ids() {
        let mut t = HandleTable::new(OwnerId::default());
        let a = t.insert("a");
        assert_eq!(t.remove(a), Some("a"));
        let b = t.insert("b");
        assert_eq!(a.index, b.index);
        assert_ne!(a.generation, b.generation);
        assert_eq!(t.get(a), None);
        assert_eq!(t.remove(a), None);
        assert_eq!(t.get(b), Some(&"b"));
        assert_eq!(t.live(), 1);
        let other = HandleId {
            owner: OwnerId {
                backend: 7,
                ..OwnerId::default()
            },
            ..b
        };
        assert_eq!(t.get(other), None, "another owner's id is not ours");
    }
}
