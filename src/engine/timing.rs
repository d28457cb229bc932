//! How long an evaluation took, split the way the REPL's timing line shows it, and the
//! formatting of that line (shared by every front-end).

use crate::bridge::backend::Stats;
use std::time::Duration;

/// The cost of one evaluation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    pub total: Duration,
    /// Inside Python (measured only while timing is on).
    pub python: Duration,
    /// In the bridge: conversions and dispatch around Python.
    pub bridge: Duration,
    /// Requests made to the backend.
    pub requests: u64,
}

impl Timing {
    /// The difference between two backend readings, over `total` of wall time.
    pub fn between(total: Duration, before: Stats, after: Stats) -> Timing {
        Timing {
            total,
            python: Duration::from_nanos(after.python_nanos.saturating_sub(before.python_nanos)),
            bridge: Duration::from_nanos(after.bridge_nanos.saturating_sub(before.bridge_nanos)),
            requests: after.requests.saturating_sub(before.requests),
        }
    }

    /// `⏱ 1.20 ms · python 800 µs · bridge 15 µs · 2 requests`: the total, and when Python was
    /// used, the time inside Python, the time in the bridge and the number of requests.
    pub fn line(&self) -> String {
        let mut line = format!("⏱ {}", format_duration(self.total));
        if self.requests > 0 {
            line.push_str(&format!(
                " · python {} · bridge {} · {} request{}",
                format_duration(self.python),
                format_duration(self.bridge),
                self.requests,
                if self.requests == 1 { "" } else { "s" }
            ));
        }
        line
    }
}

/// The current instant (on wasm32, of the clock the embedder supplied: see [`crate::clock`]).
pub fn now() -> crate::clock::Instant {
    crate::clock::Instant::now()
}

/// Time since `now()` gave `start`.
pub fn elapsed(start: crate::clock::Instant) -> Duration {
    start.elapsed()
}

pub fn format_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_python_only_when_used() {
        let before = Stats::default();
        let t = Timing::between(Duration::from_micros(1500), before, before);
        assert_eq!(t.line(), "⏱ 1.50 ms");
        let after = Stats {
            requests: 2,
            python_nanos: 800_000,
            bridge_nanos: 15_000,
        };
        let t = Timing::between(Duration::from_micros(1200), before, after);
        assert_eq!(
            t.line(),
            "⏱ 1.20 ms · python 800 µs · bridge 15 µs · 2 requests"
        );
    }
}
