//! A monotonic clock for every platform. `std::time::Instant` panics on
//! `wasm32-unknown-unknown`, which has no clock of its own: there the embedder (the browser
//! build) supplies one with [`set_source`] (`performance.now()`), and until it does, time stands
//! still (durations read zero). Natively this is `std::time::Instant`.

use std::time::Duration;

/// A point in time, comparable with another of the same process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(Repr);

#[cfg(not(target_arch = "wasm32"))]
type Repr = std::time::Instant;
/// Nanoseconds of the embedder's clock.
#[cfg(target_arch = "wasm32")]
type Repr = u64;

#[cfg(target_arch = "wasm32")]
static SOURCE: std::sync::OnceLock<fn() -> f64> = std::sync::OnceLock::new();

/// The clock on a platform without one: `now_ms` gives milliseconds since some fixed origin
/// (fractions welcome). Set once; later calls are ignored.
#[cfg(target_arch = "wasm32")]
pub fn set_source(now_ms: fn() -> f64) {
    let _ = SOURCE.set(now_ms);
}

impl Instant {
    pub fn now() -> Instant {
        #[cfg(not(target_arch = "wasm32"))]
        {
            Instant(std::time::Instant::now())
        }
        #[cfg(target_arch = "wasm32")]
        {
            let ms = SOURCE.get().map_or(0.0, |f| f());
            Instant((ms.max(0.0) * 1e6) as u64)
        }
    }

    /// Time since `earlier` (zero if `earlier` is later).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.0.saturating_duration_since(earlier.0)
        }
        #[cfg(target_arch = "wasm32")]
        {
            Duration::from_nanos(self.0.saturating_sub(earlier.0))
        }
    }

    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_moves_forward() {
        let a = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        let b = Instant::now();
        assert!(b > a);
        assert!(b.duration_since(a) >= Duration::from_millis(2));
        assert_eq!(a.duration_since(b), Duration::ZERO);
    }
}
