//! Python reference tests: every `tests/pyref/NAME.lisp` has a twin `tests/pyref/NAME.py`, the
//! same program written in Python. The expected output is whatever CPython prints for the `.py`
//! file, so these tests check that polyglot's interop means what the same code means in Python.
//!
//! Both programs run in `tests/pyref/` with `NO_COLOR=1`, `MPLBACKEND=Agg` and
//! `PYTHONHASHSEED=0`; the Python one with `$VIRTUAL_ENV/bin/python` (set by `make test`; the
//! test is skipped, with a message, when it is unset). Both must exit 0 and print identical
//! stdout. All mismatches are reported together, each with a line diff. The pairs that need
//! nothing Pyodide lacks also run under `node web/run.mjs` (the browser build, `make web`;
//! `POLYGLOT_SKIP_WEB=1` skips those runs), against the same CPython output; a `NAME.node` file
//! says why a pair's output differs there.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/pyodide.rs"]
mod pyodide;
use pyodide::needs_what_pyodide_lacks;

/// Per-process limit: generous, since the first matplotlib import may build its font cache.
const TIMEOUT: Duration = Duration::from_secs(180);

/// At least this many pairs must exist (guards against the directory going missing).
const MIN_PAIRS: usize = 10;

struct Outcome {
    stdout: String,
    stderr: String,
    /// The exit code, or `None` when killed by a signal or by the timeout.
    code: Option<i32>,
    timed_out: bool,
}

fn run(mut cmd: Command) -> Result<Outcome, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1")
        .env("MPLBACKEND", "Agg")
        .env("PYTHONHASHSEED", "0");
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + TIMEOUT;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().map_err(|e| format!("wait for {shown}: {e}"))?;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("wait for {shown}: {e}")),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Outcome {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code(),
        timed_out,
    })
}

/// A line diff (longest common subsequence): `-` lines only CPython printed, `+` lines only
/// polyglot printed, two spaces for lines both printed.
fn diff(want: &str, got: &str) -> String {
    let a: Vec<&str> = want.lines().collect();
    let b: Vec<&str> = got.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut text = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            text.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            text.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            text.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    if want.ends_with('\n') != got.ends_with('\n') {
        text.push_str("(the outputs differ in their final newline)\n");
    }
    text
}

/// The first line where the two outputs differ (1-based), with both versions of it.
fn first_difference(want: &str, got: &str) -> String {
    let mut a = want.lines();
    let mut b = got.lines();
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (None, None) => return "only the final newline differs".to_string(),
            (x, y) => {
                return format!(
                    "first difference at line {line}: python {:?}, polyglot {:?}",
                    x.unwrap_or("<end of output>"),
                    y.unwrap_or("<end of output>")
                )
            }
        }
    }
}

fn describe_exit(o: &Outcome) -> String {
    if o.timed_out {
        format!("timed out after {}s", TIMEOUT.as_secs())
    } else {
        match o.code {
            Some(c) => format!("exit {c}"),
            None => "killed by a signal".to_string(),
        }
    }
}

fn pairs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "lisp"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// What a polyglot run printed against CPython's output: the failure, if any.
fn compare(name: &str, who: &str, got: Result<Outcome, String>, want: &Outcome) -> Option<String> {
    let got = match got {
        Ok(o) => o,
        Err(e) => return Some(format!("{name} ({who}): {e}")),
    };
    let mut problems = Vec::new();
    if got.code != Some(0) {
        problems.push(format!("{who}: {}", describe_exit(&got)));
    }
    if got.stdout != want.stdout {
        problems.push(first_difference(&want.stdout, &got.stdout));
        problems.push(format!(
            "stdout diff (- python, + {who}):\n{}",
            diff(&want.stdout, &got.stdout)
        ));
    }
    if problems.is_empty() {
        return None;
    }
    if !got.stderr.is_empty() {
        problems.push(format!("{who} stderr:\n{}", got.stderr));
    }
    Some(format!("{name} ({who}): {}", problems.join("\n")))
}

/// A pair the browser build can run: nothing Pyodide lacks here (NumPy and the rest of the
/// scientific stack, threads), and no `NAME.node` file saying why its output differs there.
fn runs_on_node(lisp: &Path) -> bool {
    let text = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let both = text(lisp.to_path_buf()) + &text(lisp.with_extension("py"));
    !needs_what_pyodide_lacks(&both) && !lisp.with_extension("node").exists()
}

#[test]
fn lisp_matches_cpython() {
    let Some(venv) = std::env::var_os("VIRTUAL_ENV") else {
        eprintln!(
            "SKIPPED tests/pyref: VIRTUAL_ENV is not set, so there is no CPython to compare \
             with (run `make test`, or set VIRTUAL_ENV to a venv with numpy, pandas and \
             matplotlib)"
        );
        return;
    };
    let python = PathBuf::from(venv).join("bin").join("python");
    assert!(
        python.exists(),
        "VIRTUAL_ENV is set but {} does not exist",
        python.display()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/pyref");
    let files = pairs(&dir);
    let on_node = std::env::var_os("POLYGLOT_SKIP_WEB").is_none();
    if on_node {
        assert!(
            root.join("web/dist/polyglot.wasm").exists(),
            "web/dist/polyglot.wasm is missing: `make web` builds it (POLYGLOT_SKIP_WEB=1 skips the node runs)"
        );
    }
    assert!(
        files.len() >= MIN_PAIRS,
        "expected at least {MIN_PAIRS} .lisp/.py pairs in {}, found {}",
        dir.display(),
        files.len()
    );

    let mut failures = Vec::new();
    for lisp in &files {
        let name = lisp.file_stem().unwrap().to_string_lossy().into_owned();
        let py = lisp.with_extension("py");
        if !py.exists() {
            failures.push(format!("{name}: {name}.lisp has no {name}.py beside it"));
            continue;
        }

        let mut cmd = Command::new(&python);
        cmd.arg(format!("{name}.py")).current_dir(&dir);
        let want = match run(cmd) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if want.code != Some(0) {
            failures.push(format!(
                "{name}: the Python reference itself failed ({}); fix {name}.py\n\
                 --- stderr\n{}",
                describe_exit(&want),
                want.stderr
            ));
            continue;
        }

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_polyglot"));
        cmd.arg(format!("{name}.lisp")).current_dir(&dir);
        if let Some(f) = compare(&name, "polyglot", run(cmd), &want) {
            failures.push(f);
        }
        // The browser build too (`node web/run.mjs`), where Pyodide has what the pair uses.
        if on_node && runs_on_node(lisp) {
            let mut cmd = Command::new("node");
            cmd.arg(root.join("web/run.mjs"))
                .arg(format!("{name}.lisp"))
                .current_dir(&dir);
            if let Some(f) = compare(&name, "polyglot under node", run(cmd), &want) {
                failures.push(f);
            }
        }
    }

    let total = files.len();
    assert!(
        failures.is_empty(),
        "{} of {total} pyref pairs differ:\n\n{}\n\nsummary: {} of {total} differ",
        failures.len(),
        failures.join("\n\n========\n\n"),
        failures.len()
    );
}
