//! The suites of PERFORMANCE.md that exist so far (P1–P19). Each measures our
//! workload and its baseline in the same run, interleaved, `reps` times. Lisp workloads are
//! timed around the evaluation; Python baselines time themselves inside Python (so the bridge is
//! charged to us, never to the baseline).

use super::stats::{Samples, SuiteResult, Target};
use super::Ctx;
use crate::runtime::value::Value;
use std::process::Command;
use std::time::Instant;

pub struct Suite {
    pub id: &'static str,
    pub what: &'static str,
    pub run: fn(&mut Ctx) -> Result<SuiteResult, String>,
}

pub const SUITES: &[Suite] = &[
    Suite {
        id: "P1",
        what: "(m.sin x) calls from a Lisp loop vs CPython loop",
        run: p1,
    },
    Suite {
        id: "P2",
        what: "fused ((. ($py \"numpy\") sum) a), small array, vs numpy.sum(a)",
        run: p2,
    },
    Suite {
        id: "P3",
        what: "as-nd hand-over of a large array (baseline: 1e3 elements)",
        run: p3,
    },
    Suite {
        id: "P3s",
        what: "NumPy sum over the as-nd view vs over a NumPy-owned array",
        run: p3_sum,
    },
    Suite {
        id: "P4",
        what: "->lisp of a large ndarray (baseline: 1e3 elements)",
        run: p4,
    },
    Suite {
        id: "P5",
        what: "fib(27) in the Lisp vs CPython",
        run: p5,
    },
    Suite {
        id: "P6",
        what: "start-up: polyglot -e '(+ 1 2)' vs python -c 'print(1+2)'",
        run: p6,
    },
    Suite {
        id: "P6np",
        what: "start-up with numpy vs python -c 'import numpy'",
        run: p6_numpy,
    },
    Suite {
        id: "P7",
        what: "raise + catch a Python ValueError, per round",
        run: p7,
    },
    Suite {
        id: "P8",
        what: "workers: a call's round trip to the worker vs a raw pipe echo of the same size",
        run: p8,
    },
    Suite {
        id: "P9",
        what: "workers: pipelined calls per second, 1 worker, vs the runtime's in-process decode+dispatch of the same frames",
        run: p9,
    },
    Suite {
        id: "P10",
        what: "workers: a 256 MiB typed array to the worker and NumPy's sum of it vs the same sum in-process",
        run: p10,
    },
    Suite {
        id: "P11",
        what: "workers: a CPU-bound pure-Python function, pool-map over 2 workers vs 1 (items/s)",
        run: p11,
    },
    Suite {
        id: "P12",
        what: "1M handles created and dropped: RSS growth",
        run: p12,
    },
    Suite {
        id: "P13",
        what: "tak(24,16,8) in the Lisp vs CPython",
        run: p13,
    },
    Suite {
        id: "P14",
        what: "a float multiply-add loop (10^7 steps) in the Lisp vs CPython",
        run: p14,
    },
    Suite {
        id: "P15",
        what: "map/filter/reduce with closures over 10^6 items in the Lisp vs CPython",
        run: p15,
    },
    Suite {
        id: "P16",
        what: "workers: 1M calls issued without awaiting: RSS growth of polyglot and its worker",
        run: p16,
    },
    Suite {
        id: "P18",
        what: "browser: a fused 3-step chain into Pyodide vs three runPython calls (Node)",
        run: p18,
    },
    Suite {
        id: "P19",
        what: "ray: a sequential call through one actor vs a raw Ray actor call; 256 chains in one frame",
        run: p19,
    },
    Suite {
        id: "P17",
        what: "kernel: execute (+ 1 2) round trip vs ipykernel 1+2, same client",
        run: p17,
    },
];

fn lisp(ctx: &mut Ctx, code: &str) -> Result<Value, String> {
    ctx.engine
        .eval_quietly("<bench>", code)
        .map_err(|e| format!("{}: {}", e.kind.type_name(), e.message))
}

/// Seconds to evaluate `code`.
fn time_lisp(ctx: &mut Ctx, code: &str) -> Result<f64, String> {
    let t = Instant::now();
    lisp(ctx, code)?;
    Ok(t.elapsed().as_secs_f64())
}

/// A Python expression that returns seconds (the baseline times itself).
fn time_python(ctx: &mut Ctx, expr: &str) -> Result<f64, String> {
    match lisp(
        ctx,
        &format!("(py-eval {})", crate::bench::stats::quote(expr)),
    )? {
        Value::Float(f) => Ok(f),
        other => Err(format!(
            "baseline returned {}",
            crate::runtime::printer::readable(&other)
        )),
    }
}

fn py_setup(ctx: &mut Ctx, src: &str) -> Result<(), String> {
    lisp(
        ctx,
        &format!("(py-exec {})", crate::bench::stats::quote(src)),
    )
    .map(|_| ())
}

/// Interleaves `ours` and `base`, `reps` times; each returns seconds, scaled by `scale`.
fn interleave(
    ctx: &mut Ctx,
    scale: f64,
    ours: &mut dyn FnMut(&mut Ctx) -> Result<f64, String>,
    base: &mut dyn FnMut(&mut Ctx) -> Result<f64, String>,
) -> Result<(Samples, Samples), String> {
    let (mut a, mut b) = (Samples::default(), Samples::default());
    // One untimed round of each warms caches and imports.
    ours(ctx)?;
    base(ctx)?;
    for _ in 0..ctx.reps {
        a.push(ours(ctx)? * scale);
        b.push(base(ctx)? * scale);
        ctx.tick();
    }
    Ok((a, b))
}

fn result(
    id: &str,
    what: &str,
    unit: &str,
    (ours, base): (Samples, Samples),
    target: Target,
) -> SuiteResult {
    SuiteResult {
        id: id.into(),
        what: what.into(),
        unit: unit.into(),
        ours,
        baseline: Some(base),
        target,
        met_override: None,
        note: String::new(),
    }
}

fn p1(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: u64 = if ctx.quick { 200_000 } else { 1_000_000 };
    lisp(ctx, "(def bench-m ($py \"math\"))
               (defn bench-p1 (n) (loop [i 0 acc 0.0] (if (< i n) (recur (+ i 1) (+ acc (bench-m.sin 0.5))) acc)))")?;
    py_setup(ctx, "import math, time\ndef bench_p1(n):\n    t = time.perf_counter()\n    acc = 0.0\n    for i in range(n):\n        acc += math.sin(0.5)\n    return time.perf_counter() - t\n")?;
    let scale = 1e9 / n as f64;
    let r = interleave(
        ctx,
        scale,
        &mut |c| time_lisp(c, &format!("(bench-p1 {n})")),
        &mut |c| time_python(c, &format!("bench_p1({n})")),
    )?;
    Ok(result(
        "P1",
        SUITES[0].what,
        "ns/call",
        r,
        Target::RatioAtMost(1.0),
    ))
}

fn p2(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: u64 = if ctx.quick { 50_000 } else { 200_000 };
    lisp(ctx, "(def bench-a ((. ($py \"numpy\") arange) 10.0))
               (defn bench-p2 (n a) (loop [i 0] (when (< i n) ((. ($py \"numpy\") sum) a) (recur (+ i 1)))))")?;
    py_setup(ctx, "import numpy, time\nbench_a2 = numpy.arange(10.0)\ndef bench_p2(n, a):\n    t = time.perf_counter()\n    for i in range(n):\n        numpy.sum(a)\n    return time.perf_counter() - t\n")?;
    let scale = 1e9 / n as f64;
    let r = interleave(
        ctx,
        scale,
        &mut |c| time_lisp(c, &format!("(bench-p2 {n} bench-a)")),
        &mut |c| time_python(c, &format!("bench_p2({n}, bench_a2)")),
    )?;
    Ok(result(
        "P2",
        SUITES[1].what,
        "ns/call",
        r,
        Target::RatioAtMost(1.1),
    ))
}

fn big_n(ctx: &Ctx) -> u64 {
    if ctx.quick {
        10_000_000
    } else {
        100_000_000
    }
}

fn p3(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n = big_n(ctx);
    let k = 200;
    lisp(
        ctx,
        &format!(
            "(def bench-big (float32array {n})) (def bench-small (float32array 1000))
        (defn bench-p3 (a n k) (dotimes [i k] (as-nd a [n] \"float32\")))"
        ),
    )?;
    let scale = 1e6 / k as f64;
    let r = interleave(
        ctx,
        scale,
        &mut |c| time_lisp(c, &format!("(bench-p3 bench-big {n} {k})")),
        &mut |c| time_lisp(c, &format!("(bench-p3 bench-small 1000 {k})")),
    )?;
    let mut res = result(
        "P3",
        SUITES[2].what,
        "µs/hand-over",
        r,
        Target::ValueAtMost(20.0),
    );
    res.note = format!("{n} float32 elements");
    Ok(res)
}

fn p3_sum(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n = big_n(ctx);
    lisp(ctx, &format!("(def bench-big (float32array {n})) (def bench-view (as-nd bench-big [{n}] \"float32\"))"))?;
    py_setup(ctx, &format!("import numpy, time\nbench_owned = numpy.zeros({n}, dtype='float32')\ndef bench_sum(a):\n    t = time.perf_counter()\n    a.sum()\n    return time.perf_counter() - t\n"))?;
    let r = interleave(
        ctx,
        1e3,
        &mut |c| match lisp(c, "(py-call (py-eval \"bench_sum\") bench-view)")? {
            Value::Float(f) => Ok(f),
            _ => Err("bench_sum returned no float".into()),
        },
        &mut |c| time_python(c, "bench_sum(bench_owned)"),
    )?;
    let mut res = result(
        "P3s",
        SUITES[3].what,
        "ms/sum",
        r,
        Target::RatioAtMost(1.0 / 0.95),
    );
    res.note = "target: view sum ≥ 0.95× the speed of the NumPy-owned sum".into();
    Ok(res)
}

fn p4(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n = big_n(ctx);
    let k = 200;
    lisp(ctx, &format!("(def bench-np ($py \"numpy\")) (def bench-nd-big (bench-np.zeros {n} :dtype \"float32\"))
        (def bench-nd-small (bench-np.zeros 1000 :dtype \"float32\"))
        (defn bench-p4 (a k) (dotimes [i k] (->lisp a)))"))?;
    let scale = 1e6 / k as f64;
    let r = interleave(
        ctx,
        scale,
        &mut |c| time_lisp(c, &format!("(bench-p4 bench-nd-big {k})")),
        &mut |c| time_lisp(c, &format!("(bench-p4 bench-nd-small {k})")),
    )?;
    let mut res = result(
        "P4",
        SUITES[4].what,
        "µs/conversion",
        r,
        Target::ValueAtMost(20.0),
    );
    res.note = format!("{n} float32 elements");
    Ok(res)
}

fn p5(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    lisp(
        ctx,
        "(defn bench-fib (n) (if (< n 2) n (+ (bench-fib (- n 1)) (bench-fib (- n 2)))))",
    )?;
    py_setup(ctx, "import time\ndef bench_fib(n):\n    return n if n < 2 else bench_fib(n - 1) + bench_fib(n - 2)\ndef bench_p5(n):\n    t = time.perf_counter()\n    bench_fib(n)\n    return time.perf_counter() - t\n")?;
    let r = interleave(
        ctx,
        1e3,
        &mut |c| time_lisp(c, "(bench-fib 27)"),
        &mut |c| time_python(c, "bench_p5(27)"),
    )?;
    Ok(result(
        "P5",
        SUITES[5].what,
        "ms",
        r,
        Target::RatioAtMost(0.5),
    ))
}

/// A Lisp workload against the same program in CPython, both defined by `lisp_def` and
/// `py_def` (the Python defines `bench_run(arg)`, timing itself), each run with `arg`.
fn versus_cpython(
    ctx: &mut Ctx,
    id: &str,
    lisp_def: &str,
    lisp_call: &str,
    py_def: &str,
    py_call: &str,
    target: f64,
) -> Result<SuiteResult, String> {
    lisp(ctx, lisp_def)?;
    py_setup(ctx, py_def)?;
    let r = interleave(ctx, 1e3, &mut |c| time_lisp(c, lisp_call), &mut |c| {
        time_python(c, py_call)
    })?;
    Ok(result(
        id,
        what_of(id),
        "ms",
        r,
        Target::RatioAtMost(target),
    ))
}

/// P13: tak, a recursion made of comparisons and subtraction (three calls per level).
fn p13(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let args = if ctx.quick { "18 12 6" } else { "24 16 8" };
    versus_cpython(
        ctx,
        "P13",
        "(defn bench-tak (x y z) (if (not (< y x)) z (bench-tak (bench-tak (- x 1) y z) (bench-tak (- y 1) z x) (bench-tak (- z 1) x y))))",
        &format!("(bench-tak {args})"),
        "import time\ndef bench_tak(x, y, z):\n    if not y < x:\n        return z\n    return bench_tak(bench_tak(x - 1, y, z), bench_tak(y - 1, z, x), bench_tak(z - 1, x, y))\ndef bench_p13(x, y, z):\n    t = time.perf_counter()\n    bench_tak(x, y, z)\n    return time.perf_counter() - t\n",
        &format!("bench_p13({})", args.replace(' ', ", ")),
        0.5,
    )
}

/// P14: a float multiply-add loop (a `loop`/`recur` against a `for` over `range`).
fn p14(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n = if ctx.quick { 1_000_000 } else { 10_000_000 };
    versus_cpython(
        ctx,
        "P14",
        "(defn bench-fma (n) (loop [i 0 acc 0.0] (if (< i n) (recur (+ i 1) (+ (* acc 0.999999) 1.5)) acc)))",
        &format!("(bench-fma {n})"),
        "import time\ndef bench_p14(n):\n    t = time.perf_counter()\n    acc = 0.0\n    for i in range(n):\n        acc = acc * 0.999999 + 1.5\n    return time.perf_counter() - t\n",
        &format!("bench_p14({n})"),
        0.5,
    )
}

/// P15: map, filter and reduce with closures over a range.
fn p15(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n = if ctx.quick { 200_000 } else { 1_000_000 };
    versus_cpython(
        ctx,
        "P15",
        "(defn bench-mfr (n) (reduce + 0 (filter (fn (x) (= 0 (mod x 3))) (map (fn (x) (* x 2)) (range n)))))",
        &format!("(bench-mfr {n})"),
        "import time, functools\ndef bench_p15(n):\n    t = time.perf_counter()\n    functools.reduce(lambda a, b: a + b, filter(lambda x: x % 3 == 0, map(lambda x: x * 2, range(n))), 0)\n    return time.perf_counter() - t\n",
        &format!("bench_p15({n})"),
        0.7,
    )
}

fn time_command(cmd: &mut Command) -> Result<f64, String> {
    let t = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(t.elapsed().as_secs_f64())
}

fn startup(
    ctx: &mut Ctx,
    id: &str,
    what: &str,
    ours: &str,
    python: &str,
    target: f64,
) -> Result<SuiteResult, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let py = ctx.python_exe.clone();
    let extra = ctx.python_flag.clone();
    let saved = ctx.reps;
    ctx.reps = saved.max(5) * 2;
    let r = interleave(
        ctx,
        1e3,
        &mut |_| {
            let mut c = Command::new(&exe);
            c.args(&extra).args(["-e", ours]);
            time_command(&mut c)
        },
        &mut |_| time_command(Command::new(&py).args(["-c", python])),
    );
    ctx.reps = saved;
    let mut res = result(id, what, "ms", r?, Target::RatioAtMost(target));
    res.note = format!("baseline: {}", py.display());
    Ok(res)
}

fn p6(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    startup(ctx, "P6", SUITES[6].what, "(+ 1 2)", "print(1+2)", 0.5)
}

fn p6_numpy(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    startup(
        ctx,
        "P6np",
        SUITES[7].what,
        "(. ($py \"numpy\") __name__)",
        "import numpy",
        1.1,
    )
}

fn p7(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: u64 = if ctx.quick { 2_000 } else { 10_000 };
    lisp(ctx, "(def bench-int (. ($py \"builtins\") int))
               (defn bench-p7 (n) (dotimes [i n] (try (bench-int \"x\") (catch ValueError e nil))))")?;
    py_setup(ctx, "import time\ndef bench_p7(n):\n    t = time.perf_counter()\n    for i in range(n):\n        try:\n            int('x')\n        except ValueError:\n            pass\n    return time.perf_counter() - t\n")?;
    let scale = 1e6 / n as f64;
    let r = interleave(
        ctx,
        scale,
        &mut |c| time_lisp(c, &format!("(bench-p7 {n})")),
        &mut |c| time_python(c, &format!("bench_p7({n})")),
    )?;
    Ok(result(
        "P7",
        SUITES[8].what,
        "µs/round",
        r,
        Target::RatioAtMost(1.5),
    ))
}

/// Resident memory of this process, in MB.
fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

fn p12(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: u64 = if ctx.quick { 200_000 } else { 1_000_000 };
    lisp(ctx, "(def bench-b ($py \"builtins\")) (bench-b.object)")?;
    let before_handles = lisp(ctx, "(py-handles)")?;
    let before = rss_mb();
    let t = Instant::now();
    lisp(ctx, &format!("(dotimes [i {n}] (bench-b.object))"))?;
    let secs = t.elapsed().as_secs_f64();
    let growth = rss_mb() - before;
    let after_handles = lisp(ctx, "(py-handles)")?;
    ctx.tick();
    let back = before_handles == after_handles;
    Ok(SuiteResult {
        id: "P12".into(),
        what: what_of("P12").into(),
        unit: "MB".into(),
        ours: Samples(vec![growth]),
        baseline: None,
        target: Target::ValueAtMost(50.0),
        met_override: Some(back && growth < 50.0),
        note: format!(
            "{n} handles in {:.2} s; live handles {} → {}",
            secs,
            crate::runtime::printer::readable(&before_handles),
            crate::runtime::printer::readable(&after_handles)
        ),
    })
}

/// P17: the Jupyter kernel's execute round trip against ipykernel's, both driven by one
/// `jupyter_client` (a Python script in the chosen environment). This binary's kernelspec is
/// installed into a temporary prefix for the run.
#[cfg(all(unix, feature = "kernel"))]
fn p17(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    const DRIVER: &str = include_str!("kernel_roundtrip.py");
    let dir = std::env::temp_dir().join(format!("polyglot-bench-p17-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let prefix = crate::kernel::install::Location::Prefix(dir.clone());
    crate::kernel::install::install(&prefix, "polyglot-bench", None, &ctx.python_exe, &[])?;
    let script = dir.join("kernel_roundtrip.py");
    std::fs::write(&script, DRIVER).map_err(|e| e.to_string())?;
    let rounds = if ctx.quick { 100 } else { 300 };
    let out = Command::new(&ctx.python_exe)
        .arg(&script)
        .args(["polyglot-bench", &ctx.reps.to_string(), &rounds.to_string()])
        .env("JUPYTER_PATH", dir.join("share/jupyter"))
        .env("JUPYTER_RUNTIME_DIR", dir.join("runtime"))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", ctx.python_exe.display()))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "the P17 driver failed (it needs jupyter_client and ipykernel in the environment): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let (mut ours, mut base) = (Samples::default(), Samples::default());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.split_once(' ') {
            Some(("ours", s)) => {
                ours.push(s.trim().parse::<f64>().map_err(|e| e.to_string())? * 1e6)
            }
            Some(("base", s)) => {
                base.push(s.trim().parse::<f64>().map_err(|e| e.to_string())? * 1e6)
            }
            _ => {}
        }
        ctx.tick();
    }
    let mut r = result(
        "P17",
        what_of("P17"),
        "µs",
        (ours, base),
        Target::RatioAtMost(0.5),
    );
    r.note = "both kernels driven by one jupyter_client BlockingKernelClient".into();
    Ok(r)
}

#[cfg(not(all(unix, feature = "kernel")))]
fn p17(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no Jupyter kernel".into())
}

fn what_of(id: &str) -> &'static str {
    SUITES.iter().find(|s| s.id == id).map_or("", |s| s.what)
}

/// P8: a Python call from a Lisp loop on the workers backend (one request, one reply each),
/// against the floor: a frame of the same size echoed by a worker process that does not decode
/// it, read back the same way.
#[cfg(all(unix, feature = "workers"))]
fn p8(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let config = workers_config(ctx);
    let mut engine = crate::engine::Engine::new(config).map_err(|e| e.message.clone())?;
    let n: usize = if ctx.quick { 2_000 } else { 10_000 };
    // Each result is used (a Lisp `+`), so every call waits for its answer: a round trip.
    let setup = "(def bench-m ($py \"math\")) \
                 (defn bench-p8 (n) (dotimes [i n] (+ 0.0 (bench-m.sqrt 2.0))))";
    engine
        .eval_quietly("<bench>", setup)
        .map_err(|e| e.message.clone())?;
    let python = ctx.python_exe.clone();
    let code = format!("(bench-p8 {n})");
    let r = interleave(
        ctx,
        1e6 / n as f64,
        &mut |_| timed(&mut engine, &code),
        // A call's request frame is about 60 bytes (a cached function's handle, one float).
        &mut |_| {
            crate::engine::workers_echo_floor(&python, 60, n).map(|d| d.as_secs_f64() * n as f64)
        },
    );
    let _ = engine.shutdown();
    let mut res = result("P8", what_of("P8"), "µs", r?, Target::RatioAtMost(1.5));
    res.note =
        "baseline: the same frame size echoed undecoded by a worker (spin 50 µs, then block)"
            .into();
    Ok(res)
}

#[cfg(all(unix, feature = "workers"))]
pub(super) fn workers_config(ctx: &Ctx) -> crate::engine::EngineConfig {
    crate::engine::EngineConfig {
        backend: crate::engine::BackendKind::Workers,
        python: Some(ctx.python_exe.clone()),
        ..Default::default()
    }
}

/// P11: the pool's speed-up on CPU-bound Python. The same `pool-map` of a pure-Python loop
/// over 8 items on a pool of 2 workers and on a pool of 1, interleaved; items per second, so
/// the ratio is the speed-up. The two results must be equal.
#[cfg(all(unix, feature = "workers"))]
fn p11(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: usize = if ctx.quick { 100_000 } else { 300_000 };
    let items = 8;
    let setup = "(py-exec \"def bench_cpu(n):\\n    s = 0\\n    for i in range(n):\\n        s += i * i % 7\\n    return s\") \
                 (def bench-cpu (py-eval \"bench_cpu\"))";
    let code = format!(
        "(pool-map bench-cpu [{}])",
        vec![n.to_string(); items].join(" ")
    );
    let pool = |workers: usize| -> Result<crate::engine::Engine, String> {
        let config = crate::engine::EngineConfig {
            workers: Some(workers),
            ..workers_config(ctx)
        };
        let mut e = crate::engine::Engine::new(config).map_err(|e| e.message.clone())?;
        e.eval_quietly("<bench>", setup)
            .map_err(|e| e.message.clone())?;
        Ok(e)
    };
    let (mut two, mut one) = (pool(2)?, pool(1)?);
    let show = |e: &mut crate::engine::Engine| {
        e.eval_quietly("<bench>", &code)
            .map(|v| crate::runtime::printer::readable(&v))
            .map_err(|e| e.message.clone())
    };
    // The first round starts the second worker (outside the timed rounds) and checks the
    // results.
    let (a, b) = (show(&mut two)?, show(&mut one)?);
    if a != b {
        return Err(format!("the pool's results differ: {a} against {b}"));
    }
    let r = interleave(
        ctx,
        items as f64,
        &mut |_| timed(&mut two, &code).map(|s| 1.0 / s),
        &mut |_| timed(&mut one, &code).map(|s| 1.0 / s),
    );
    let _ = two.shutdown();
    let _ = one.shutdown();
    let mut res = result(
        "P11",
        what_of("P11"),
        "items/s",
        r?,
        Target::RatioAtLeast(1.8),
    );
    res.note = format!(
        "{items} items of a {n}-step pure-Python loop; the ratio is the speed-up of 2 workers over 1 ({} cores)",
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    Ok(res)
}

/// A `/proc/PID/status` field in MB (VmRSS, VmHWM).
#[cfg(all(unix, feature = "workers"))]
fn status_mb(pid: &str, field: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb * 1024.0 / 1e6)
}

/// P16: a million calls whose results are never used (each one a pending value dropped at
/// once). The window bounds what is in flight; the growth of polyglot's and its worker's
/// peak resident memory over their resident memory before is reported.
#[cfg(all(unix, feature = "workers"))]
fn p16(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: usize = if ctx.quick { 200_000 } else { 1_000_000 };
    let mut engine =
        crate::engine::Engine::new(workers_config(ctx)).map_err(|e| e.message.clone())?;
    let pid = engine
        .eval_quietly(
            "<bench>",
            "(def bench-m ($py \"math\")) (bench-m.sqrt 1.0) (py-eval \"__import__('os').getpid()\")",
        )
        .map(|v| crate::runtime::printer::display(&v))
        .map_err(|e| e.message.clone())?;
    let (me_before, worker_before) = (status_mb("self", "VmRSS"), status_mb(&pid, "VmRSS"));
    let secs = timed(
        &mut engine,
        &format!("(dotimes [i {n}] (bench-m.sqrt 2.0))"),
    )?;
    let (me_peak, worker_peak) = (status_mb("self", "VmHWM"), status_mb(&pid, "VmHWM"));
    let _ = engine.shutdown();
    ctx.tick();
    // Polyglot's own peak may predate this suite (an earlier one's arrays): then its growth
    // here is at most its resident memory now minus before.
    let me = (me_peak - me_before)
        .min((rss_mb() - me_before).max(0.0))
        .max(0.0);
    let worker = (worker_peak - worker_before).max(0.0);
    let growth = me + worker;
    Ok(SuiteResult {
        id: "P16".into(),
        what: what_of("P16").into(),
        unit: "MB".into(),
        ours: super::stats::Samples(vec![growth]),
        baseline: None,
        target: Target::ValueAtMost(100.0),
        met_override: None,
        note: format!(
            "{n} calls in {secs:.2} s ({:.0}k/s), window {} requests: polyglot +{me:.1} MB, worker +{worker:.1} MB",
            n as f64 / secs / 1e3,
            crate::engine::WORKERS_DEFAULT_MAX_INFLIGHT
        ),
    })
}

/// The baseline of P19: a raw Ray actor method call, timed by Ray's own Python in a local Ray of
/// its own (started and stopped by the script); seconds per call, one sample per repetition.
#[cfg(all(unix, feature = "workers"))]
const RAW_RAY_CALL: &str = r#"
import json, logging, os, sys, time
os.environ.setdefault('RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER', '0')
os.environ['RAY_AUTH_MODE'] = 'token'
os.environ['RAY_AUTH_TOKEN'] = os.urandom(16).hex()
os.dup2(2, 1)
import ray
ray.init(address='local', num_cpus=1, include_dashboard=False, log_to_driver=False,
         logging_level=logging.ERROR)
@ray.remote
class Echo:
    def f(self, x):
        return x
a = Echo.remote()
ray.get(a.f.remote(1.0))
n, reps = int(sys.argv[1]), int(sys.argv[2])
out = []
for _ in range(reps):
    t = time.perf_counter()
    for i in range(n):
        ray.get(a.f.remote(2.0))
    out.append((time.perf_counter() - t) / n)
sys.stderr.write('P19-RESULT ' + json.dumps(out) + '\n')
ray.shutdown()
"#;

/// P19: `--backend ray` through one actor: a call whose value is used (a round trip through
/// the driver and the actor's runtime) against a raw Ray actor call, and 256 chains in one
/// frame (`batch`), chains per second.
#[cfg(all(unix, feature = "workers"))]
fn p19(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: usize = if ctx.quick { 100 } else { 500 };
    let config = crate::engine::EngineConfig {
        backend: crate::engine::BackendKind::Ray,
        workers: Some(1),
        ..workers_config(ctx)
    };
    let t = Instant::now();
    let mut engine = crate::engine::Engine::new(config).map_err(|e| e.message.clone())?;
    let setup = r#"(def bench-m ($py "math")) (bench-m.sqrt 1.0)
                 (defn bench-p19 (n) (dotimes [i n] (+ 0.0 (bench-m.sqrt 2.0))))
                 (defn bench-p19-frame (k) (dotimes [j k] (batch (dotimes [i 256] (bench-m.sqrt 2.0)))))"#;
    engine
        .eval_quietly("<bench>", setup)
        .map_err(|e| e.message.clone())?;
    let startup = t.elapsed().as_secs_f64();
    let code = format!("(bench-p19 {n})");
    timed(&mut engine, &code)?;
    let mut ours = super::stats::Samples::default();
    let mut frames = Vec::new();
    let k = if ctx.quick { 20 } else { 100 };
    for _ in 0..ctx.reps {
        ours.push(timed(&mut engine, &code)? * 1e6 / n as f64);
        frames.push(256.0 * k as f64 / timed(&mut engine, &format!("(bench-p19-frame {k})"))?);
        ctx.tick();
    }
    let _ = engine.shutdown();
    let out = Command::new(&ctx.python_exe)
        .args(["-c", RAW_RAY_CALL, &n.to_string(), &ctx.reps.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run the Ray baseline: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("P19-RESULT "))
        .ok_or_else(|| format!("the Ray baseline failed: {}", err.trim()))?;
    let mut base = super::stats::Samples::default();
    for x in line.trim_matches(['[', ']']).split(',') {
        if let Ok(v) = x.trim().parse::<f64>() {
            base.push(v * 1e6);
        }
    }
    frames.sort_by(f64::total_cmp);
    let rate = frames.get(frames.len() / 2).copied().unwrap_or(0.0);
    let mut res = result(
        "P19",
        what_of("P19"),
        "µs",
        (ours, base),
        Target::RatioAtMost(1.2),
    );
    res.met_override = Some(res.ratio().is_some_and(|q| q <= 1.2) && rate >= 100_000.0);
    res.note = format!(
        "{:.0}k chains/s with 256 in one frame (target ≥ 100k); start-up with a local Ray {startup:.1} s",
        rate / 1e3
    );
    Ok(res)
}

/// P18: the browser build under Node (`web/bench.mjs`, which needs `make web`): the Lisp's
/// fused import → getattr → call into Pyodide against the same three steps as three
/// `runPython` calls, both timed in one Node process.
fn p18(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let web = std::env::var_os("POLYGLOT_WEB_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web"));
    let n = if ctx.quick { 500 } else { 2000 };
    let out = Command::new("node")
        .arg(web.join("bench.mjs"))
        .args([n.to_string().as_str(), "--json"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run node (P18 needs Node.js and `make web`): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("P18-RESULT "))
        .ok_or_else(|| {
            format!(
                "web/bench.mjs failed (is the browser build there? `make web`): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )
        })?;
    let list = |key: &str| -> super::stats::Samples {
        let mut s = super::stats::Samples::default();
        if let Some(at) = line.find(&format!("\"{key}\":[")) {
            let rest = &line[at + key.len() + 4..];
            let end = rest.find(']').unwrap_or(rest.len());
            for x in rest[..end].split(',') {
                if let Ok(v) = x.trim().parse::<f64>() {
                    s.push(v);
                }
            }
        }
        s
    };
    let number = |key: &str| -> f64 {
        line.find(&format!("\"{key}\":"))
            .map(|at| &line[at + key.len() + 3..])
            .and_then(|rest| {
                rest[..rest.find([',', '}']).unwrap_or(rest.len())]
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    };
    ctx.tick();
    let mut res = result(
        "P18",
        what_of("P18"),
        "µs",
        (list("ours"), list("base")),
        Target::RatioAtMost(0.2),
    );
    res.note = format!(
        "wasm {:.0} KiB; Pyodide and the Lisp ready in {:.0} ms (Node)",
        number("wasm") / 1024.0,
        number("ready_ms")
    );
    Ok(res)
}

#[cfg(not(all(unix, feature = "workers")))]
fn p19(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no workers backend".into())
}

#[cfg(not(all(unix, feature = "workers")))]
fn p11(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no workers backend".into())
}

#[cfg(not(all(unix, feature = "workers")))]
fn p16(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no workers backend".into())
}

/// Seconds to evaluate `code` in `engine`.
#[cfg(all(unix, feature = "workers"))]
pub(super) fn timed(engine: &mut crate::engine::Engine, code: &str) -> Result<f64, String> {
    let t = Instant::now();
    engine
        .eval_quietly("<bench>", code)
        .map_err(|e| e.message.clone())?;
    Ok(t.elapsed().as_secs_f64())
}

/// P9: calls whose results are not used go out pipelined; the baseline is the worker
/// runtime's own decode+dispatch loop over the very frames this run sent (recorded), in one
/// process without pipes.
#[cfg(all(unix, feature = "workers"))]
fn p9(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let n: usize = if ctx.quick { 20_000 } else { 100_000 };
    let frames = std::env::temp_dir().join(format!("polyglot-p9-{}.frames", std::process::id()));
    let _ = std::fs::remove_file(&frames);
    let config = workers_config(ctx);
    // The worker records what it is sent (read once, when it starts).
    std::env::set_var("POLYGLOT_WORKER_RECORD", &frames);
    let mut engine = crate::engine::Engine::new(config).map_err(|e| e.message.clone())?;
    let setup = "(def bench-m ($py \"math\")) (bench-m.sqrt 1.0) \
                 (defn bench-p9 (n) (dotimes [i n] (bench-m.sqrt 2.0)))";
    let started = engine.eval_quietly("<bench>", setup);
    std::env::remove_var("POLYGLOT_WORKER_RECORD");
    started.map_err(|e| e.message.clone())?;
    let code = format!("(bench-p9 {n})");
    let python = ctx.python_exe.clone();
    let r = interleave(
        ctx,
        1e6 / n as f64,
        &mut |_| timed(&mut engine, &code),
        &mut |_| {
            // Every frame the worker was sent so far, setup included.
            let (msgs, secs) = crate::engine::workers_replay(&python, &frames)?;
            Ok(secs * n as f64 / msgs.max(1) as f64)
        },
    );
    let _ = engine.shutdown();
    let _ = std::fs::remove_file(&frames);
    let mut res = result("P9", what_of("P9"), "µs", r?, Target::RatioAtMost(1.25));
    let per_call = res.ours.median();
    let rate = 1e6 / per_call.max(1e-9);
    res.met_override = Some(res.ratio().is_some_and(|q| q <= 1.25) && rate >= 300_000.0);
    res.note = format!(
        "{:.0}k calls/s pipelined (target ≥ 300k and ≥ 0.8× the in-process loop, i.e. ratio ≤ 1.25)",
        rate / 1e3
    );
    Ok(res)
}

/// P10: the hand-over of a big typed array through shared memory. Both sides sum the same
/// 256 MiB (2^25 float64) array with NumPy; the workers side hands it to the worker each time
/// (the first hand-over moves it into shared memory, outside the timed rounds). The array is
/// filled first: summing untouched memory would read one zero page, in cache, in-process.
#[cfg(all(unix, feature = "workers"))]
fn p10(ctx: &mut Ctx) -> Result<SuiteResult, String> {
    let len: usize = if ctx.quick { 1 << 22 } else { 1 << 25 };
    let setup = format!(
        "(def bench-np ($py \"numpy\")) (def bench-big (float64array {len})) \
         ((. (as-nd bench-big [{len}] \"float64\") fill) 1.5) (bench-np.sum bench-big)"
    );
    let mut workers =
        crate::engine::Engine::new(workers_config(ctx)).map_err(|e| e.message.clone())?;
    workers
        .eval_quietly("<bench>", &setup)
        .map_err(|e| e.message.clone())?;
    lisp(ctx, &setup)?;
    let code = "(bench-np.sum bench-big)";
    let r = interleave(ctx, 1e3, &mut |_| timed(&mut workers, code), &mut |ctx| {
        time_lisp(ctx, code)
    });
    let _ = workers.shutdown();
    let mut res = result(
        "P10",
        what_of("P10"),
        "ms",
        r?,
        Target::RatioAtMost(1.0 / 0.9),
    );
    res.note = format!(
        "{} MiB; the baseline is the embedded backend",
        (len * 8) >> 20
    );
    Ok(res)
}

#[cfg(not(all(unix, feature = "workers")))]
fn p10(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no workers backend".into())
}

#[cfg(not(all(unix, feature = "workers")))]
fn p9(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no workers backend".into())
}

#[cfg(not(all(unix, feature = "workers")))]
fn p8(_ctx: &mut Ctx) -> Result<SuiteResult, String> {
    Err("this build has no workers backend".into())
}
