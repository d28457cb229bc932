//! The command line (clap): parses arguments into a [`Config`], then runs a script, `-e`, stdin,
//! or the REPL. Exit codes: 0 on success, 1 on an uncaught error (diagnostic on stderr), 2 on
//! bad usage.

use crate::diagnostics::RenderOptions;
use crate::engine::Engine;
use crate::runtime::printer::readable;
use clap::{Parser, ValueEnum};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Run the benchmark suites against their baselines (see the book's Performance chapter).
    Bench(crate::bench::BenchArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// CPython inside this process (pyo3): fastest calls, zero-copy arrays.
    Embedded,
    /// A pool of Python worker processes for CPU-bound work (not available yet).
    Workers,
}

/// polyglot: a Lisp REPL and script runner for Python.
///
/// With no arguments (and a terminal) it starts the REPL. `polyglot FILE.lisp ARGS...` runs a
/// script with `*argv*` bound to the ARGS; `polyglot -` reads the script from stdin;
/// `polyglot -e EXPR` evaluates EXPR and prints the value of its last form.
#[derive(Parser, Debug)]
#[command(name = "polyglot", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Evaluate EXPR (one or more forms) and print the value of the last with `prn`.
    #[arg(
        short = 'e',
        long = "eval",
        value_name = "EXPR",
        conflicts_with = "script"
    )]
    pub eval: Option<String>,

    /// Python environment to use: a venv's python or any interpreter
    /// [default: $VIRTUAL_ENV, else python3 on PATH].
    #[arg(long, value_name = "PATH", global = true)]
    pub python: Option<PathBuf>,

    /// Where Python calls run.
    #[arg(long, value_enum, default_value_t = Backend::Embedded, global = true)]
    pub backend: Backend,

    /// Number of worker processes (workers backend) [default: number of CPUs].
    #[arg(long, value_name = "N", global = true)]
    pub workers: Option<usize>,

    /// Requests in flight per worker before the sender waits (workers backend).
    #[arg(long, value_name = "N", global = true)]
    pub max_inflight: Option<usize>,

    /// How long cached module and class attributes stay valid, in milliseconds.
    #[arg(long, value_name = "MS", global = true)]
    pub attr_cache_ttl: Option<u64>,

    /// No colours in output (also when NO_COLOR is set, or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Show a timing line after each REPL evaluation (and after a script or `-e`; on by default
    /// in the REPL only).
    #[arg(long, overrides_with = "no_timing", global = true)]
    pub timing: bool,

    /// Do not show timing lines.
    #[arg(long, overrides_with = "timing", global = true)]
    pub no_timing: bool,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Script to run (`-` for stdin), then the arguments it gets as `*argv*`.
    #[arg(
        value_name = "FILE",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub script: Vec<String>,
}

const AFTER_HELP: &str = "\
Examples:
  polyglot                         start the REPL (:help inside it lists commands)
  polyglot hello.lisp a b          run a script; *argv* is [\"a\" \"b\"]
  polyglot -e '(+ 1 2)'            print 3
  echo '(println 42)' | polyglot - read the script from stdin
  polyglot bench --quick           measure performance against CPython baselines

Exit status: 0 on success, 1 on an uncaught error, 2 on bad usage.";

/// Validated settings for a run.
#[derive(Debug, Clone)]
pub struct Config {
    pub python: Option<PathBuf>,
    pub backend: Backend,
    pub workers: Option<usize>,
    pub max_inflight: Option<usize>,
    pub attr_cache_ttl_ms: Option<u64>,
    pub render: RenderOptions,
    pub timing: Option<bool>,
}

impl Cli {
    pub fn config(&self) -> Config {
        Config {
            python: self.python.clone(),
            backend: self.backend,
            workers: self.workers,
            max_inflight: self.max_inflight,
            attr_cache_ttl_ms: self.attr_cache_ttl,
            render: RenderOptions::for_stderr(self.no_color),
            timing: if self.timing {
                Some(true)
            } else if self.no_timing {
                Some(false)
            } else {
                None
            },
        }
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    // The script position accepts values starting with `-` (for its own arguments), so an
    // unknown flag before any FILE would otherwise be taken for a script path.
    if let Some(first) = cli.script.first() {
        if first.starts_with('-') && first != "-" {
            eprintln!(
                "error: unexpected argument '{first}' found\n\nFor more information, try '--help'."
            );
            return 2;
        }
    }
    let config = cli.config();
    if config.workers == Some(0) || config.max_inflight == Some(0) {
        eprintln!("error: --workers and --max-inflight must be at least 1");
        return 2;
    }
    if config.backend == Backend::Workers {
        eprintln!("error: the workers backend is not built yet; use --backend embedded");
        return 2;
    }
    crate::runtime::interrupt::install();
    crate::runtime::py::configure(crate::runtime::py::PySettings {
        python: config.python.clone(),
        attr_cache_ttl: config
            .attr_cache_ttl_ms
            .map(std::time::Duration::from_millis),
    });
    if let Some(Command::Bench(args)) = &cli.command {
        return crate::bench::run(args, &config);
    }
    let mut engine = Engine::new();

    if let Some(expr) = &cli.eval {
        return run_and_report(&mut engine, "<-e>", expr, &config, true);
    }
    match cli.script.split_first() {
        Some((file, args)) => {
            engine.set_argv(args);
            let (name, text) = if file == "-" {
                match read_stdin() {
                    Some(text) => ("<stdin>".to_string(), text),
                    None => return 1,
                }
            } else {
                match std::fs::read_to_string(file) {
                    Ok(t) => (file.clone(), t),
                    Err(e) => {
                        eprintln!("error: cannot read {file}: {e}");
                        return 1;
                    }
                }
            };
            run_and_report(&mut engine, &name, &text, &config, false)
        }
        None if !std::io::stdin().is_terminal() => match read_stdin() {
            Some(text) => run_and_report(&mut engine, "<stdin>", &text, &config, false),
            None => 1,
        },
        None => crate::repl::run(engine, &config),
    }
}

/// The whole of stdin, or `None` (after saying why) when it cannot be read.
fn read_stdin() -> Option<String> {
    let mut text = String::new();
    match std::io::stdin().read_to_string(&mut text) {
        Ok(_) => Some(text),
        Err(e) => {
            eprintln!("error: cannot read the script from stdin: {e}");
            None
        }
    }
}

fn run_and_report(
    engine: &mut Engine,
    name: &str,
    text: &str,
    config: &Config,
    print: bool,
) -> i32 {
    let timing = config.timing == Some(true);
    if timing {
        crate::runtime::py::set_timing(true);
    }
    let before = crate::runtime::py::stats();
    let started = std::time::Instant::now();
    // A lazy chain is printed by running it; run it here so that a failure is an error.
    let r = engine.eval_str(name, text).and_then(|v| {
        if print {
            crate::runtime::py::force(&mut engine.vm, &v)
        } else {
            Ok(v)
        }
    });
    crate::runtime::builtins::core::flush_stdout();
    let code = match r {
        Ok(v) => {
            if print {
                crate::runtime::builtins::core::write_stdout(&(readable(&v) + "\n"));
            }
            0
        }
        Err(e) => {
            eprint!("{}", engine.render(&e, &config.render));
            1
        }
    };
    if timing {
        let after = crate::runtime::py::stats();
        eprintln!(
            "{}",
            crate::repl::timing_line(started.elapsed(), before, after)
        );
    }
    code
}
