//! Helpers shared by the real-binary integration tests (`tests/cli.rs`, `tests/repl.rs`): running
//! the binary with a timeout, scratch directories, and driving it in a real pseudo-terminal
//! through `tests/support/pty_session.py` (Python standard library only).

#![allow(dead_code)]

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The REPL's prompt.
pub const PROMPT: &str = "pg> ";

/// A regex for a line of output that is exactly `text` (the echo of the typed input never is).
pub fn line(text: &str) -> String {
    format!(r"^{}\r?$", regex_escape(text))
}

pub fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\^$.|?*+()[]{}".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// The session ended by itself with status 0.
pub fn assert_exit_0(r: &PtyRun) {
    r.assert_ok();
    assert_eq!(r.exit(), Some("EXIT 0"), "{}", r.report);
}

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_polyglot");

/// How long a plain (non-pty) run may take before the test fails instead of hanging.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// `polyglot ARGS...` with `NO_COLOR=1` and stdin closed (set stdin to feed a script).
pub fn polyglot(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    c
}

/// What a finished run left behind.
#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// The exit status, or -1 if killed by a signal.
    pub code: i32,
}

impl Output {
    /// A description for assertion messages.
    pub fn show(&self) -> String {
        format!(
            "exit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.code, self.stdout, self.stderr
        )
    }
}

fn drain<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut buf);
        }
        buf
    })
}

/// Waits for `child`, killing it (and failing the test) after [`RUN_TIMEOUT`].
pub fn wait_with_timeout(child: &mut Child, what: &str) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for polyglot") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: polyglot did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `cmd` to completion (stdout and stderr captured), feeding `stdin` if given.
pub fn run_with(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("start polyglot");
    let writer = stdin.map(|text| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        })
    });
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let code = wait_with_timeout(&mut child, &format!("{cmd:?}"));
    if let Some(w) = writer {
        let _ = w.join();
    }
    Output {
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        code,
    }
}

/// `polyglot ARGS...` (NO_COLOR=1, stdin closed), run to completion.
pub fn run(args: &[&str]) -> Output {
    run_with(polyglot(args), None)
}

/// `polyglot ARGS...` (NO_COLOR=1) with `input` on stdin.
pub fn run_stdin(args: &[&str], input: &str) -> Output {
    run_with(polyglot(args), Some(input))
}

/// Is there an ANSI escape (ESC) anywhere in `text`?
pub fn has_escape(text: &str) -> bool {
    text.contains('\x1b')
}

/// A scratch directory under cargo's per-target temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("itests")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` in this directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write a scratch file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Pseudo-terminal sessions

/// One step of a pty session; see `tests/support/pty_session.py` for what each does.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    /// Write these bytes (keystrokes) at once.
    Send(&'a str),
    /// Write these characters one at a time, like typing.
    Type(&'a str),
    /// Wait for this text (ANSI stripped) after the previous match.
    Expect(&'a str),
    /// Wait for a match of this Python regex (multi-line mode) after the previous match.
    ExpectRe(&'a str),
    /// Keep reading output for this many seconds.
    Sleep(f64),
    /// Wait until the terminal is in cooked mode (Ctrl-C raises SIGINT): an evaluation runs.
    WaitCooked,
    /// Wait until the terminal is in raw mode: the line editor is reading keys.
    WaitRaw,
    /// Start the clock for the next `ExpectTimed`.
    StartClock,
    /// Like `Expect`, and report `ELAPSED_MS` since `StartClock`.
    ExpectTimed(&'a str),
    /// Wait for the program to exit and report its status.
    ExpectExit,
}

/// A program to run in a pseudo-terminal.
pub struct Pty {
    args: Vec<OsString>,
    env: Vec<(String, Option<OsString>)>,
    raw_out: Option<PathBuf>,
    timeout_secs: f64,
    gap_secs: f64,
}

/// What the driver reported.
#[derive(Debug)]
pub struct PtyRun {
    /// Did every step succeed?
    pub ok: bool,
    /// The driver's whole report: step lines, then the transcript.
    pub report: String,
}

impl Pty {
    /// `polyglot ARGS...` in a pty with `TERM=xterm`.
    pub fn new(args: &[&str]) -> Pty {
        Pty {
            args: args.iter().map(OsString::from).collect(),
            env: vec![("TERM".into(), Some("xterm".into()))],
            raw_out: None,
            timeout_secs: 10.0,
            gap_secs: 0.05,
        }
    }

    /// The REPL as the tests run it: no colour, history and HOME inside `dir`.
    pub fn repl(dir: &Path) -> Pty {
        Pty::new(&[])
            .env("NO_COLOR", "1")
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("HOME", dir.join("home"))
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Pty {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Pty {
        self.env.push((key.into(), None));
        self
    }

    /// Also save the raw bytes the program wrote (escape sequences included) to `path`.
    pub fn raw_out(mut self, path: &Path) -> Pty {
        self.raw_out = Some(path.to_path_buf());
        self
    }

    /// The pause after each `Send` and between `Type` characters (default 0.05 s).
    pub fn gap(mut self, secs: f64) -> Pty {
        self.gap_secs = secs;
        self
    }

    pub fn run(&self, steps: &[Step]) -> PtyRun {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pty_session.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg("--timeout")
            .arg(self.timeout_secs.to_string())
            .arg("--gap")
            .arg(self.gap_secs.to_string());
        if let Some(p) = &self.raw_out {
            cmd.arg("--raw-out").arg(p);
        }
        for step in steps {
            match *step {
                Step::Send(s) => cmd.args(["--send", s]),
                Step::Type(s) => cmd.args(["--type", s]),
                Step::Expect(s) => cmd.args(["--expect", s]),
                Step::ExpectRe(s) => cmd.args(["--expect-re", s]),
                Step::Sleep(secs) => cmd.args(["--sleep", &secs.to_string()]),
                Step::WaitCooked => cmd.arg("--wait-cooked"),
                Step::WaitRaw => cmd.arg("--wait-raw"),
                Step::StartClock => cmd.arg("--start-clock"),
                Step::ExpectTimed(s) => cmd.args(["--expect-timed", s]),
                Step::ExpectExit => cmd.arg("--expect-exit"),
            };
        }
        cmd.arg("--").arg(BIN).args(&self.args);
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .expect("run python3 tests/support/pty_session.py (is python3 installed?)");
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(1),
            "the pty driver failed ({:?}):\n{stderr}\n{report}",
            out.status
        );
        PtyRun {
            ok: out.status.success(),
            report,
        }
    }
}

impl PtyRun {
    /// Fails the test, showing the whole report, unless every step succeeded.
    pub fn assert_ok(&self) -> &PtyRun {
        assert!(self.ok, "a pty step failed:\n{}", self.report);
        self
    }

    /// The program's output with ANSI escape sequences removed.
    pub fn transcript(&self) -> &str {
        let start = self
            .report
            .find("=== transcript ===\n")
            .map_or(0, |i| i + "=== transcript ===\n".len());
        let end = self
            .report
            .rfind("=== end ===")
            .unwrap_or(self.report.len());
        &self.report[start.min(end)..end]
    }

    /// The `EXIT n` / `SIGNAL n` line, if the session waited for the exit.
    pub fn exit(&self) -> Option<&str> {
        self.report
            .lines()
            .find(|l| l.starts_with("EXIT ") || l.starts_with("SIGNAL "))
    }

    /// Every `ELAPSED_MS` the driver measured.
    pub fn elapsed_ms(&self) -> Vec<f64> {
        self.report
            .lines()
            .filter_map(|l| l.strip_prefix("ELAPSED_MS "))
            .map(|v| v.trim().parse().expect("a number of milliseconds"))
            .collect()
    }

    /// Lines of the transcript, `\r` removed.
    pub fn lines(&self) -> Vec<String> {
        self.transcript()
            .split('\n')
            .map(|l| {
                l.rsplit('\r')
                    .find(|p| !p.is_empty())
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }
}
