//! The bridge to Python: the backend-neutral chain IR ([`ir`]), the handle table ([`handles`]),
//! and the backends. Nothing here imports the Lisp runtime or syntax; the runtime converts its
//! values to [`ir::WireValue`]s and back.

pub mod buffer;
pub mod handles;
pub mod interrupt;
pub mod ir;

#[cfg(feature = "embedded")]
pub mod embedded;
