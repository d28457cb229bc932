//! `polyglot bench`: the benchmark and tuning harness. Runs the suites of PERFORMANCE.md that
//! exist, each against its baseline measured in the same run
//! (interleaved, repeated), and prints a table (or `--json`). Progress goes to stderr.

mod peers;
pub mod stats;
mod suites;
#[cfg(all(unix, feature = "workers"))]
mod tune;

use crate::engine::Engine;
use stats::{fmt3, SuiteResult};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Fewer repetitions and smaller sizes: finishes in under a minute.
    #[arg(long)]
    pub quick: bool,
    /// Only these suites, comma-separated (e.g. P1,P5).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub suite: Vec<String>,
    /// Print one JSON object per suite (a JSON array) on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also run the workloads in Hy and Basilisp when they are installed in the environment.
    #[arg(long)]
    pub peers: bool,
    /// Measure this machine and recommend the workers backend's settings (--max-inflight,
    /// --shm-threshold), with the curves measured, instead of running the suites.
    #[arg(long)]
    pub tune: bool,
    /// Repetitions per suite (default 7, or 3 with --quick).
    #[arg(long, value_name = "N")]
    pub reps: Option<usize>,
}

/// What a suite gets to work with.
pub struct Ctx {
    pub engine: Engine,
    pub quick: bool,
    pub reps: usize,
    /// The interpreter of the chosen environment (start-up baseline).
    pub python_exe: PathBuf,
    /// `--python PATH` to pass on to child polyglots.
    pub python_flag: Vec<String>,
    started: Instant,
}

impl Ctx {
    /// Progress: one dot per measured repetition.
    pub fn tick(&self) {
        eprint!(".");
        let _ = std::io::stderr().flush();
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn header(ctx: &mut Ctx) -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let probe = "(py-exec \"import sys\ntry:\n    import numpy\n    _npv = numpy.__version__\n    try:\n        _blas = numpy.show_config(mode='dicts')['Build Dependencies']['blas']['name']\n    except Exception:\n        _blas = 'unknown'\nexcept ImportError:\n    _npv, _blas = 'not installed', '-'\n_pyv = sys.version.split()[0]\")
                 [(py-eval \"_pyv\") (py-eval \"_npv\") (py-eval \"_blas\")]";
    let info = ctx
        .engine
        .eval_quietly("<bench>", probe)
        .ok()
        .and_then(|v| v.as_seq())
        .map(|v| {
            v.iter()
                .map(crate::runtime::printer::display)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let get = |i: usize| info.get(i).cloned().unwrap_or_else(|| "?".into());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    format!(
        "polyglot {} ({profile} build) · CPU: {} × {cpus} · Python {} · NumPy {} (BLAS: {})",
        env!("CARGO_PKG_VERSION"),
        cpu_model(),
        get(0),
        get(1),
        get(2)
    )
}

fn table(results: &[SuiteResult]) -> String {
    let mut out = format!(
        "{:<5} {:<14} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>4}  {}\n",
        "id", "unit", "median", "min", "max", "baseline", "ratio", "target", "met", "what"
    );
    for r in results {
        out.push_str(&format!(
            "{:<5} {:<14} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>4}  {}\n",
            r.id,
            r.unit,
            fmt3(r.ours.median()),
            fmt3(r.ours.min()),
            fmt3(r.ours.max()),
            r.baseline.as_ref().map_or("-".into(), |b| fmt3(b.median())),
            r.ratio().map_or("-".into(), |x| format!("{}×", fmt3(x))),
            r.target.describe(),
            if r.met() { "yes" } else { "NO" },
            r.what
        ));
        if !r.note.is_empty() {
            out.push_str(&format!("{:<5} {}\n", "", r.note));
        }
    }
    out
}

/// Runs the harness; the exit code.
pub fn run(args: &BenchArgs, config: &crate::engine::EngineConfig) -> i32 {
    let python_exe = match config.python_executable() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let engine = match Engine::new(config.clone()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}: {}", e.kind.type_name(), e.message);
            return 1;
        }
    };
    let mut ctx = Ctx {
        engine,
        quick: args.quick,
        reps: args.reps.unwrap_or(if args.quick { 3 } else { 7 }).max(1),
        python_exe,
        python_flag: config
            .python
            .as_ref()
            .map(|p| vec!["--python".to_string(), p.display().to_string()])
            .unwrap_or_default(),
        started: Instant::now(),
    };
    if args.tune {
        eprintln!("{}", header(&mut ctx));
        #[cfg(all(unix, feature = "workers"))]
        return tune::run(&mut ctx, args.json);
        #[cfg(not(all(unix, feature = "workers")))]
        {
            eprintln!("error: this build has no workers backend to tune");
            return 1;
        }
    }
    let wanted: Vec<String> = args.suite.iter().map(|s| s.trim().to_uppercase()).collect();
    let chosen: Vec<&suites::Suite> = suites::SUITES
        .iter()
        // P19 needs Ray and starts a cluster, P18 Node and the browser build: only when
        // asked for by name.
        .filter(|s| {
            (wanted.is_empty() && s.id != "P19" && s.id != "P18")
                || wanted.iter().any(|w| w.eq_ignore_ascii_case(s.id))
        })
        .collect();
    if chosen.is_empty() {
        let ids: Vec<&str> = suites::SUITES.iter().map(|s| s.id).collect();
        eprintln!("error: no such suite; the suites are {}", ids.join(", "));
        return 2;
    }
    let head = header(&mut ctx);
    eprintln!("{head}");
    let mut results = Vec::new();
    let mut failed = false;
    for (i, s) in chosen.iter().enumerate() {
        eprint!("[{}/{}] {} {} ", i + 1, chosen.len(), s.id, s.what);
        let t = Instant::now();
        match (s.run)(&mut ctx) {
            Ok(r) => {
                eprintln!(" {:.1} s", t.elapsed().as_secs_f64());
                results.push(r);
            }
            Err(e) => {
                eprintln!(" failed: {e}");
                failed = true;
            }
        }
    }
    if args.peers {
        for line in peers::run(&mut ctx) {
            eprintln!("{line}");
        }
    }
    eprintln!("total {:.1} s", ctx.started.elapsed().as_secs_f64());
    if args.json {
        let objs: Vec<String> = results.iter().map(|r| r.json()).collect();
        println!("[\n{}\n]", objs.join(",\n"));
    } else {
        println!("{head}");
        print!("{}", table(&results));
    }
    i32::from(failed)
}
