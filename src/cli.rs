//! The command line (clap): parses arguments into an [`EngineConfig`] and the front-end's own
//! options, then runs a script, `-e`, stdin, or the REPL. Exit codes: 0 on success, 1 on an
//! uncaught error (diagnostic on stderr), 2 on bad usage.

use crate::diagnostics::RenderOptions;
use crate::engine::{BackendKind, Engine, EngineConfig, Show};
use crate::repl::ReplOptions;
use crate::runtime::output::Stream;
use clap::{Parser, ValueEnum};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Run the benchmark suites against their baselines (see the book's Performance chapter).
    Bench(crate::bench::BenchArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
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
    #[arg(long, value_enum, default_value_t = BackendArg::Embedded, global = true)]
    pub backend: BackendArg,

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

impl Cli {
    /// The engine's settings.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            backend: match self.backend {
                BackendArg::Embedded => BackendKind::Embedded,
                BackendArg::Workers => BackendKind::Workers,
            },
            python: self.python.clone(),
            workers: self.workers,
            max_inflight: self.max_inflight,
            attr_cache_ttl: self.attr_cache_ttl.map_or(
                EngineConfig::default().attr_cache_ttl,
                std::time::Duration::from_millis,
            ),
            python_enabled: true,
        }
    }

    /// `--timing` / `--no-timing`, if given.
    pub fn timing(&self) -> Option<bool> {
        if self.timing {
            Some(true)
        } else if self.no_timing {
            Some(false)
        } else {
            None
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
    let config = cli.engine_config();
    if let Err(msg) = config.validate() {
        eprintln!("error: {msg}");
        return 2;
    }
    if !config.backend_available() {
        eprintln!(
            "error: the {} backend is not built yet; use --backend embedded",
            config.backend.name()
        );
        return 2;
    }
    let render = RenderOptions::for_stderr(cli.no_color);
    crate::signals::install();
    if let Some(Command::Bench(args)) = &cli.command {
        return crate::bench::run(args, &config);
    }
    let mut engine = match Engine::new(config) {
        Ok(e) => e,
        Err(e) => {
            eprint!(
                "{}",
                crate::diagnostics::render(&e, &Default::default(), &render)
            );
            return 1;
        }
    };
    // Starting CPython replaces the process's SIGINT handler: put ours back.
    engine.on_python_start(Box::new(crate::signals::install));
    let timing = cli.timing();
    let report = |engine: &mut Engine, name: &str, text: &str, print: bool| {
        run_and_report(engine, name, text, &render, timing == Some(true), print)
    };

    if let Some(expr) = &cli.eval {
        return report(&mut engine, "<-e>", expr, true);
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
            report(&mut engine, &name, &text, false)
        }
        None if !std::io::stdin().is_terminal() => match read_stdin() {
            Some(text) => report(&mut engine, "<stdin>", &text, false),
            None => 1,
        },
        None => crate::repl::run(
            engine,
            &ReplOptions {
                timing: timing.unwrap_or(true),
                render: render.clone(),
            },
        ),
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
    render: &RenderOptions,
    timing: bool,
    print: bool,
) -> i32 {
    engine.set_timing(timing);
    let show = if print { Show::Last } else { Show::Nothing };
    let out = engine.eval_with(name, text, show, &mut |_, _| {});
    let code = match (&out.result, &out.printed) {
        (Ok(_), Some(p)) => {
            engine.output().write(Stream::Stdout, &format!("{p}\n"));
            0
        }
        (Ok(_), None) => 0,
        (Err(e), _) => {
            engine.output().flush();
            eprint!("{}", engine.render(e, render));
            1
        }
    };
    if timing {
        eprintln!("{}", out.timing.line());
    }
    code
}
