//! Identifiers that cross the boundary between the Lisp and a backend: handles to Python
//! objects, Lisp callbacks offered to Python, and (re-exported) typed-array buffers. Plain
//! `Copy` data, no I/O: a leaf module that the bridge and the Lisp side both name.

pub use crate::buffer::BufferId;

/// A Python object held by the Lisp side: which backend instance (and, for worker processes,
/// which incarnation of the worker) owns it, an index into that owner's handle table, and the
/// slot's generation. A stale id — of a released slot, of a restarted worker, or of another
/// session's backend — is detected, never confused with the slot's next occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandleId {
    pub owner: OwnerId,
    pub index: u32,
    pub generation: u32,
}

/// Who owns a handle: a backend instance, and for worker backends the worker and its
/// incarnation (bumped on every restart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct OwnerId {
    /// Unique per backend instance in this process.
    pub backend: u32,
    /// The worker within the backend (0 for in-process).
    pub worker: u16,
    /// The worker's incarnation (0 for in-process; bumped when a worker restarts).
    pub incarnation: u16,
}

/// A Lisp function offered to Python as a callable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackId(pub u32);
