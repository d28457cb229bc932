//! Stack growth for deep recursion: one helper for every place that recurses on user data
//! (the reader, the analyzer, the compiler, the printer, equality, hashing, calls, and every
//! entry of a Lisp callback from Python). When less than the red zone is left, the closure runs
//! on a fresh segment, so depth is bounded by the explicit limits (nesting 1000, calls
//! 100,000), never by the thread's stack.

/// Head-room below which a new segment is started, and that segment's size.
pub const RED_ZONE: usize = 1024 * 1024;
pub const SEGMENT: usize = 8 * 1024 * 1024;

/// Runs `f`, on a fresh stack segment if the current one is nearly used up.
#[inline]
pub fn guarded<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
