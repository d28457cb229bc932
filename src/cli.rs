//! The command line (clap): parses arguments into an [`EngineConfig`] and the front-end's own
//! options, then runs a script, `-e`, stdin, or the REPL. Exit codes: 0 on success, 1 on an
//! uncaught error (diagnostic on stderr) or a failed write to stdout, 2 on bad usage, the
//! status `sys.exit` asked for, 141 when stdout is a closed pipe. Every run with an engine ends
//! in `finish`, which shuts the session (and Python) down.

use crate::diagnostics::RenderOptions;
use crate::engine::{BackendKind, Engine, EngineConfig, Show};
use crate::repl::ReplOptions;
use crate::runtime::error::{ErrorKind, LispError};
use crate::runtime::output::{Output, Stream};
use clap::{Parser, ValueEnum};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Run the benchmark suites against their baselines (see the book's Performance chapter).
    Bench(crate::bench::BenchArgs),
    /// Run as a Jupyter kernel (what kernel.json starts), or install / uninstall its kernelspec.
    Kernel(KernelArgs),
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct KernelArgs {
    #[command(subcommand)]
    pub action: Option<KernelAction>,
    /// The connection file Jupyter starts the kernel with.
    #[arg(long, short = 'f', value_name = "FILE")]
    pub connection_file: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum KernelAction {
    /// Install the kernelspec (kernel.json with absolute paths to this binary and to the
    /// chosen Python, and logos) where Jupyter finds it.
    Install(KernelSpecArgs),
    /// Remove an installed kernelspec.
    Uninstall(KernelSpecArgs),
}

#[derive(clap::Args, Debug)]
pub struct KernelSpecArgs {
    /// For this user ($JUPYTER_DATA_DIR/kernels, else ~/.local/share/jupyter/kernels) [default].
    #[arg(long, group = "location")]
    pub user: bool,
    /// Into the chosen Python environment (its sys.prefix/share/jupyter/kernels).
    #[arg(long, group = "location")]
    pub sys_prefix: bool,
    /// Under DIR/share/jupyter/kernels.
    #[arg(long, value_name = "DIR", group = "location")]
    pub prefix: Option<PathBuf>,
    /// The kernelspec's name (ASCII letters, digits, '-', '.', '_').
    #[arg(long, default_value = "polyglot")]
    pub name: String,
    /// The name notebooks show [default: "polyglot (Python X.Y)"].
    #[arg(long, value_name = "S")]
    pub display_name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// CPython inside this process (pyo3): fastest calls, zero-copy arrays.
    Embedded,
    /// Python in a worker process, over pipes (a crash or a hang there never takes the
    /// session down).
    Workers,
    /// The workers as Ray actors (a local Ray started on demand, or --ray-address).
    Ray,
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

    /// Typed arrays smaller than this many bytes are copied to a worker instead of shared
    /// (workers backend) [default: 0, every array is shared].
    #[arg(long, value_name = "BYTES", global = true)]
    pub shm_threshold: Option<usize>,

    /// The Ray cluster to join (`--backend ray`), e.g. 10.0.0.5:6379 [default: start a local
    /// Ray on 127.0.0.1, stopped at exit].
    #[arg(long, value_name = "ADDR", global = true)]
    pub ray_address: Option<String>,

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
  polyglot kernel install --user   make polyglot a Jupyter kernel (see the book's Notebooks)

Exit status: 0 on success, 1 on an uncaught error or a failed write to stdout, 2 on bad
usage, N after Python's sys.exit(N), 141 when stdout is a closed pipe (| head).";

impl Cli {
    /// The engine's settings.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            backend: match self.backend {
                BackendArg::Embedded => BackendKind::Embedded,
                BackendArg::Workers => BackendKind::Workers,
                BackendArg::Ray => BackendKind::Ray,
            },
            python: self.python.clone(),
            workers: self.workers,
            max_inflight: self.max_inflight,
            shm_threshold: self.shm_threshold,
            ray_address: self.ray_address.clone(),
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
    if let Some(Command::Kernel(args)) = &cli.command {
        return kernel(args, config);
    }
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
    let out = engine.output().clone();
    let repl = cli.eval.is_none() && cli.script.is_empty() && std::io::stdin().is_terminal();
    if repl {
        // The REPL consumes the engine (and drops it when it ends): shut down after that.
        let finalize = engine.finalizer();
        let status = crate::repl::run(
            engine,
            &ReplOptions {
                timing: timing.unwrap_or(true),
                render: render.clone(),
            },
        );
        return finish(&out, finalize, status);
    }
    let status = run_batch(&mut engine, &cli, &render, timing == Some(true));
    finish(&out, Box::new(move || engine.shutdown()), status)
}

/// `polyglot kernel ...`: run the kernel, or install / uninstall the kernelspec.
fn kernel(args: &KernelArgs, config: EngineConfig) -> i32 {
    use crate::kernel::install::{self, Location};
    let spec = match &args.action {
        None => {
            let Some(file) = &args.connection_file else {
                eprintln!(
                    "error: polyglot kernel needs --connection-file FILE (Jupyter gives it), \
                     or `install` / `uninstall`"
                );
                return 2;
            };
            return crate::kernel::run(file, config);
        }
        Some(KernelAction::Install(s) | KernelAction::Uninstall(s)) => s,
    };
    let location = match (&spec.prefix, spec.sys_prefix) {
        (Some(dir), _) => Location::Prefix(dir.clone()),
        (None, true) => Location::SysPrefix,
        (None, false) => Location::User,
    };
    let python = match config.python_executable() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let done = match &args.action {
        Some(KernelAction::Install(_)) => install::install(
            &location,
            &spec.name,
            spec.display_name.as_deref(),
            &python,
            &kernel_flags(&config),
        )
        .map(|dir| {
            format!(
                "installed the {} kernelspec in {}",
                spec.name,
                dir.display()
            )
        }),
        _ => install::uninstall(&location, &spec.name, &python)
            .map(|dir| format!("removed {}", dir.display())),
    };
    match done {
        Ok(msg) => {
            println!("{msg}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The flags a kernelspec records so the kernel runs as installed (`--backend workers`, with
/// `--workers N` when given; `--backend ray` with its address).
fn kernel_flags(config: &EngineConfig) -> Vec<String> {
    let mut flags: Vec<String> = match config.backend {
        BackendKind::Embedded | BackendKind::Pyodide => return Vec::new(),
        BackendKind::Workers => vec!["--backend".into(), "workers".into()],
        BackendKind::Ray => {
            let mut f = vec!["--backend".into(), "ray".into()];
            if let Some(a) = &config.ray_address {
                f.extend(["--ray-address".into(), a.clone()]);
            }
            f
        }
    };
    if let Some(n) = config.workers {
        flags.extend(["--workers".into(), n.to_string()]);
    }
    flags
}

/// Exit status when standard output is a pipe whose reader has gone (`| head`): what a shell
/// reports for a process killed by SIGPIPE (128 + 13).
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Every run with an engine ends here: the output sink is flushed, the session shut down
/// (Lisp values dropped, then Python finalized: `atexit` handlers run, open files are flushed),
/// and a failed write to standard output decides the status — 141, silently, for a closed pipe;
/// otherwise an error message and status 1 if the run had succeeded.
fn finish(out: &Arc<dyn Output>, finalize: Box<dyn FnOnce() -> Option<i32>>, status: i32) -> i32 {
    out.flush();
    let failed = finalize();
    let status = match failed {
        Some(s) if status == 0 => s,
        _ => status,
    };
    match out.error() {
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => BROKEN_PIPE_STATUS,
        Some(e) if status == 0 => {
            eprintln!("error: cannot write to standard output: {e}");
            1
        }
        _ => status,
    }
}

/// A script, `-e`, or a script read from stdin: the exit status.
fn run_batch(engine: &mut Engine, cli: &Cli, render: &RenderOptions, timing: bool) -> i32 {
    if let Some(expr) = &cli.eval {
        return run_and_report(engine, "<-e>", expr, render, timing, true);
    }
    let Some((file, args)) = cli.script.split_first() else {
        return match read_stdin() {
            Some(text) => run_and_report(engine, "<stdin>", &text, render, timing, false),
            None => 1,
        };
    };
    engine.set_argv(args);
    let (name, text) = if file == "-" {
        match read_stdin() {
            Some(text) => ("<stdin>".to_string(), text),
            None => return 1,
        }
    } else {
        match std::fs::read(file).map(String::from_utf8) {
            Ok(Ok(t)) => (file.clone(), t),
            Ok(Err(e)) => {
                eprintln!(
                    "error: {file}: {}",
                    utf8_problem(e.as_bytes(), &e.utf8_error())
                );
                return 1;
            }
            Err(e) => {
                eprintln!("error: cannot read {file}: {e}");
                return 1;
            }
        }
    };
    run_and_report(engine, &name, &text, render, timing, false)
}

/// Where a file stops being UTF-8: "invalid UTF-8 at line 2, column 10 (byte 21)".
fn utf8_problem(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    let before = &bytes[..at];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    // `before` is valid UTF-8, so its characters can be counted.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    format!(
        "invalid UTF-8 at line {line}, column {column} (byte {at}, 0x{:02x}); polyglot reads UTF-8 text",
        bytes[at]
    )
}

/// The whole of stdin, or `None` (after saying why) when it cannot be read.
fn read_stdin() -> Option<String> {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read the script from stdin: {e}");
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!(
                "error: <stdin>: {}",
                utf8_problem(e.as_bytes(), &e.utf8_error())
            );
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
            if let Some(status) = engine.exit_status(e) {
                status
            } else if stdout_broken(engine, e) {
                BROKEN_PIPE_STATUS
            } else {
                eprint!("{}", engine.render(e, render));
                1
            }
        }
    };
    if timing {
        eprintln!("{}", out.timing.line());
    }
    code
}

/// The error is a failed write to standard output whose reader has gone: the Lisp's own
/// (`println` into a closed pipe) or Python's `BrokenPipeError` on the same stdout.
fn stdout_broken(engine: &Engine, e: &LispError) -> bool {
    match &e.kind {
        ErrorKind::Io => engine
            .output()
            .error()
            .is_some_and(|w| w.kind() == std::io::ErrorKind::BrokenPipe),
        ErrorKind::Host(_) => engine.vm.error_matches(e, "BrokenPipeError") && stdout_reader_gone(),
        _ => false,
    }
}

/// Standard output is a pipe with no reader left (poll reports an error condition on it).
fn stdout_reader_gone() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n > 0 && fd.revents & libc::POLLERR != 0
}
