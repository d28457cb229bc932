//! Numbers for the bench table: samples, median/min/max, and JSON output (hand-written: a flat
//! object per suite needs no serialisation library).

use std::fmt::Write;

#[derive(Clone, Debug, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    pub fn push(&mut self, v: f64) {
        self.0.push(v);
    }
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        v
    }
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }
    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }
    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }
}

/// How a suite's target reads.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// ratio (ours / baseline) at most this
    RatioAtMost(f64),
    /// ratio at least this (speed-ups)
    RatioAtLeast(f64),
    /// our median at most this, in the suite's unit
    ValueAtMost(f64),
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::RatioAtMost(r) => format!("≤ {}×", fmt3(*r)),
            Target::RatioAtLeast(r) => format!("≥ {}×", fmt3(*r)),
            Target::ValueAtMost(v) => format!("< {v}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SuiteResult {
    pub id: String,
    pub what: String,
    pub unit: String,
    pub ours: Samples,
    pub baseline: Option<Samples>,
    pub target: Target,
    /// Set when the suite has its own verdict (P12), else computed from the target.
    pub met_override: Option<bool>,
    pub note: String,
}

impl SuiteResult {
    pub fn ratio(&self) -> Option<f64> {
        self.baseline
            .as_ref()
            .map(|b| self.ours.median() / b.median())
    }

    pub fn met(&self) -> bool {
        if let Some(m) = self.met_override {
            return m;
        }
        match self.target {
            Target::RatioAtMost(r) => self.ratio().is_some_and(|x| x <= r),
            Target::RatioAtLeast(r) => self.ratio().is_some_and(|x| x >= r),
            Target::ValueAtMost(v) => self.ours.median() < v,
        }
    }

    pub fn json(&self) -> String {
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x}")
            } else {
                "null".to_string()
            }
        };
        let mut s = String::from("{");
        let _ = write!(
            s,
            "\"id\": {}, \"what\": {}, \"unit\": {}, \"median\": {}, \"min\": {}, \"max\": {}, ",
            quote(&self.id),
            quote(&self.what),
            quote(&self.unit),
            num(self.ours.median()),
            num(self.ours.min()),
            num(self.ours.max())
        );
        let _ = write!(
            s,
            "\"baseline_median\": {}, \"ratio\": {}, \"target\": {}, \"met\": {}, \"note\": {}}}",
            self.baseline
                .as_ref()
                .map_or("null".to_string(), |b| num(b.median())),
            self.ratio().map_or("null".to_string(), num),
            quote(&self.target.describe()),
            self.met(),
            quote(&self.note)
        );
        s
    }
}

pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number with 3 significant digits.
pub fn fmt3(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max() {
        let s = Samples(vec![3.0, 1.0, 2.0, 10.0]);
        assert_eq!(s.median(), 2.5);
        assert_eq!(s.min(), 1.0);
        assert_eq!(s.max(), 10.0);
    }

    #[test]
    fn json_is_one_flat_object() {
        let r = SuiteResult {
            id: "P5".into(),
            what: "fib \"27\"".into(),
            unit: "ms".into(),
            ours: Samples(vec![1.0, 2.0, 3.0]),
            baseline: Some(Samples(vec![4.0])),
            target: Target::RatioAtMost(0.5),
            met_override: None,
            note: String::new(),
        };
        let j = r.json();
        assert!(j.starts_with('{') && j.ends_with('}'));
        assert!(j.contains("\"ratio\": 0.5"));
        assert!(j.contains("\"met\": true"));
        assert!(j.contains("fib \\\"27\\\""));
    }
}
