//! `polyglot bench --tune`: measures this machine and recommends the workers backend's two
//! settings. The in-flight window (`--max-inflight`): pipelined calls per second for windows
//! from 1 to 4096; the recommendation is the smallest window within 5% of the best (memory
//! grows with the window, speed stops growing). The shared-memory threshold
//! (`--shm-threshold`): the cost of a call handing a fresh typed array to the worker through
//! shared memory against copying it into the request, by size; the recommendation is the size
//! from which sharing is no slower (arrays under it would be copied), or 0. Copying gives up
//! what sharing means — writes on either side are not seen by the other — which is why the
//! default is 0 whatever this measures.

use super::suites::{timed, workers_config};
use super::Ctx;
use crate::engine::{Engine, EngineConfig};
use std::io::Write;

/// The windows tried.
const WINDOWS: &[usize] = &[1, 4, 16, 64, 256, 1024, 4096];
/// The array sizes tried, in bytes.
const SIZES: &[usize] = &[64, 512, 4096, 32 << 10, 256 << 10, 2 << 20];

fn progress(what: &str) {
    eprint!("{what}");
    let _ = std::io::stderr().flush();
}

fn engine(config: EngineConfig, setup: &str) -> Result<Engine, String> {
    let mut e = Engine::new(config).map_err(|e| e.message.clone())?;
    e.eval_quietly("<tune>", setup)
        .map_err(|e| e.message.clone())?;
    Ok(e)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The smallest window whose rate is within 5% of the best rate.
pub fn recommend_window(curve: &[(usize, f64)]) -> usize {
    let best = curve.iter().map(|c| c.1).fold(0.0, f64::max);
    curve
        .iter()
        .filter(|c| c.1 >= 0.95 * best)
        .map(|c| c.0)
        .min()
        .unwrap_or(crate::engine::WORKERS_DEFAULT_MAX_INFLIGHT)
}

/// The threshold: the smallest size from which sharing is no slower than copying at that size
/// and every larger one (0 when sharing wins from the smallest size measured). Rows are
/// (bytes, shared µs, copied µs).
pub fn recommend_threshold(curve: &[(usize, f64, f64)]) -> usize {
    let mut rows = curve.to_vec();
    rows.sort_by_key(|r| r.0);
    let from = rows.iter().rposition(|r| r.2 < r.1).map_or(0, |i| i + 1);
    match rows.get(from) {
        _ if from == 0 => 0,
        Some(r) => r.0,
        // Copying won even at the largest size: the threshold is past it.
        None => rows.last().map_or(0, |r| r.0 * 2),
    }
}

/// Runs the tuner; the exit code.
pub fn run(ctx: &mut Ctx, json: bool) -> i32 {
    match tune(ctx) {
        Ok((windows, sizes)) => {
            let w = recommend_window(&windows);
            let t = recommend_threshold(&sizes);
            if json {
                let wj: Vec<String> = windows
                    .iter()
                    .map(|(w, r)| format!("{{\"window\": {w}, \"calls_per_s\": {r:.0}}}"))
                    .collect();
                let sj: Vec<String> = sizes
                    .iter()
                    .map(|(b, s, c)| {
                        format!("{{\"bytes\": {b}, \"shared_us\": {s:.2}, \"copied_us\": {c:.2}}}")
                    })
                    .collect();
                println!(
                    "{{\"max_inflight\": {w}, \"shm_threshold\": {t}, \"windows\": [{}], \"sizes\": [{}]}}",
                    wj.join(", "),
                    sj.join(", ")
                );
            } else {
                println!("In-flight window (pipelined calls, 1 worker):");
                println!("  {:>8} {:>12} {:>9}", "window", "calls/s", "µs/call");
                for (win, rate) in &windows {
                    println!("  {win:>8} {rate:>12.0} {:>9.2}", 1e6 / rate);
                }
                println!("Typed array hand-over, a fresh array per call:");
                println!("  {:>10} {:>12} {:>12}", "bytes", "shared µs", "copied µs");
                for (b, s, c) in &sizes {
                    println!("  {b:>10} {s:>12.2} {c:>12.2}");
                }
                println!("Recommended: --max-inflight {w} --shm-threshold {t}");
                if t > 0 {
                    println!(
                        "  (arrays under {t} bytes are then copied: as-nd of them no longer shares writes with the worker; the default, 0, always shares)"
                    );
                }
            }
            0
        }
        Err(e) => {
            eprintln!("\ntuning failed: {e}");
            1
        }
    }
}

#[allow(clippy::type_complexity)]
fn tune(ctx: &mut Ctx) -> Result<(Vec<(usize, f64)>, Vec<(usize, f64, f64)>), String> {
    let calls: usize = if ctx.quick { 5_000 } else { 30_000 };
    let reps = if ctx.quick { 1 } else { 3 };
    let setup = "(def tune-m ($py \"math\")) (tune-m.sqrt 1.0) \
                 (defn tune-calls (n) (dotimes [i n] (tune-m.sqrt 2.0)))";
    let mut windows = Vec::new();
    progress("window:");
    for &w in WINDOWS {
        progress(&format!(" {w}"));
        let config = EngineConfig {
            workers: Some(1),
            max_inflight: Some(w),
            ..workers_config(ctx)
        };
        let mut e = engine(config, setup)?;
        let code = format!("(tune-calls {calls})");
        timed(&mut e, &code)?;
        let mut rates = Vec::new();
        for _ in 0..reps {
            rates.push(calls as f64 / timed(&mut e, &code)?);
        }
        let _ = e.shutdown();
        windows.push((w, median(rates)));
    }
    eprintln!();
    let setup = "(def tune-np ($py \"numpy\")) (tune-np.sum (float64array 8)) \
                 (defn tune-arrays (k n) (dotimes [i k] (tune-np.sum (float64array n))))";
    let settings = |threshold: usize| EngineConfig {
        workers: Some(1),
        shm_threshold: Some(threshold),
        ..workers_config(ctx)
    };
    let mut shared = engine(settings(0), setup)?;
    let mut copied = engine(settings(usize::MAX / 2), setup)?;
    let mut sizes = Vec::new();
    progress("arrays:");
    for &bytes in SIZES {
        progress(&format!(" {bytes}"));
        let n = bytes / 8;
        // About 64 MiB (at least 20 calls) per measurement.
        let k = ((64usize << 20) / bytes).clamp(20, if ctx.quick { 200 } else { 1000 });
        let code = format!("(tune-arrays {k} {n})");
        timed(&mut shared, &code)?;
        timed(&mut copied, &code)?;
        let (mut s, mut c) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            s.push(timed(&mut shared, &code)? * 1e6 / k as f64);
            c.push(timed(&mut copied, &code)? * 1e6 / k as f64);
        }
        sizes.push((bytes, median(s), median(c)));
    }
    eprintln!();
    let _ = shared.shutdown();
    let _ = copied.shutdown();
    Ok((windows, sizes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_the_smallest_near_the_best() {
        let curve = [(1, 10e3), (4, 40e3), (16, 96e3), (64, 100e3), (256, 99e3)];
        assert_eq!(recommend_window(&curve), 16);
        assert_eq!(recommend_window(&[(1, 5.0)]), 1);
    }

    #[test]
    fn the_threshold_is_where_sharing_stops_losing() {
        // Copying wins up to 4 KiB, sharing from 32 KiB.
        let curve = [
            (64, 30.0, 10.0),
            (512, 30.0, 11.0),
            (4096, 31.0, 20.0),
            (32768, 32.0, 60.0),
            (262144, 40.0, 300.0),
        ];
        assert_eq!(recommend_threshold(&curve), 32768);
        // Sharing wins everywhere: 0.
        assert_eq!(recommend_threshold(&[(64, 5.0, 6.0), (512, 5.0, 9.0)]), 0);
        // A noisy win for copying at a large size moves the threshold past it.
        assert_eq!(
            recommend_threshold(&[(64, 5.0, 4.0), (512, 5.0, 9.0), (4096, 6.0, 5.0)]),
            8192
        );
    }
}
