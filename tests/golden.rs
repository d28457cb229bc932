//! Golden tests: every `.lisp` file under `examples/` and `tests/golden/` is run by the real
//! binary; its stdout must equal the `.out` file beside it, and its stderr the `.err` file (a
//! file with `.err` must also exit 1; one without must exit 0 with nothing on stderr).
//! `BLESS=1 cargo test --test golden` rewrites the expected files from the actual output.
//!
//! The same files run again with `--backend workers` (the differential runner): the output must
//! be the same. A file whose behaviour cannot be the same on a worker process says so in a
//! `NAME.workers` file beside it: its first line is the reason, and if more lines follow, they
//! are the stdout expected on workers (otherwise the file is not run there).
//!
//! And again under `node web/run.mjs` (the browser build: the Lisp as wasm32, Python in
//! Pyodide), every file that needs no NumPy (nor pandas, matplotlib, typed arrays as ndarrays)
//! and no threads, which Pyodide has not: the same output again. A `NAME.node` file beside one
//! says why it cannot be the same there (first line; the file is then not run there). This needs
//! `make web` (the wasm module and the npm packages); `POLYGLOT_SKIP_WEB=1` skips it, saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/pyodide.rs"]
mod pyodide;
use pyodide::needs_what_pyodide_lacks;

fn lisp_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            lisp_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "lisp") {
            out.push(p);
        }
    }
}

fn run(root: &Path, rel: &Path, backend: &str) -> (String, String, i32) {
    if backend == "node" {
        return run_node(root, rel);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_polyglot"))
        .args(["--backend", backend])
        // A pool of two on any machine: pool-map and with-worker really spread.
        .args(if backend == "workers" {
            &["--workers", "2"][..]
        } else {
            &[]
        })
        .arg(rel)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("run polyglot");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The Node runner on one file, killed after [`NODE_TIMEOUT`].
fn run_node(root: &Path, rel: &Path) -> (String, String, i32) {
    let dir = std::env::temp_dir().join(format!("polyglot-golden-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let stem = rel.to_string_lossy().replace(['/', '\\'], "_");
    let (out_path, err_path) = (
        dir.join(format!("{stem}.out")),
        dir.join(format!("{stem}.err")),
    );
    let mut child = Command::new("node")
        .arg("web/run.mjs")
        .arg(rel)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("run node (is Node.js installed?)");
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break status.code().unwrap_or(-1);
        }
        if started.elapsed() > NODE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break -2;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let r = (read(&out_path), read(&err_path), code);
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    r
}

/// A script under Node that runs longer than this has hung.
const NODE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

#[test]
fn golden_files_on_node() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("POLYGLOT_SKIP_WEB").is_some() {
        eprintln!("SKIPPED golden files under node: POLYGLOT_SKIP_WEB is set");
        return;
    }
    for needed in [
        "web/dist/polyglot.wasm",
        "web/node_modules/pyodide/pyodide.mjs",
    ] {
        assert!(
            root.join(needed).exists(),
            "{needed} is missing: `make web` builds the browser build (POLYGLOT_SKIP_WEB=1 skips this test)"
        );
    }
    golden_files_on("node");
}

#[test]
fn golden_files() {
    golden_files_on("embedded");
}

#[test]
fn golden_files_on_workers() {
    golden_files_on("workers");
}

fn golden_files_on(backend: &str) {
    let workers = backend == "workers";
    let node = backend == "node";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    lisp_files(&root.join("examples"), &mut files);
    lisp_files(&root.join("tests/golden"), &mut files);
    files.sort();
    assert!(
        files.len() >= 10,
        "expected golden files, found {}",
        files.len()
    );
    let bless = std::env::var_os("BLESS").is_some() && backend == "embedded";
    // Under node, what Pyodide cannot run is left out, and so is a file that says why (.node).
    let files: Vec<PathBuf> = if node {
        files
            .into_iter()
            .filter(|f| {
                let text = std::fs::read_to_string(f).unwrap_or_default();
                if needs_what_pyodide_lacks(&text) {
                    return false;
                }
                match std::fs::read_to_string(f.with_extension("node")) {
                    Ok(reason) => {
                        assert!(
                            !reason.trim().is_empty(),
                            "{}: a .node file says why",
                            f.display()
                        );
                        false
                    }
                    Err(_) => true,
                }
            })
            .collect()
    } else {
        files
    };
    // Node runs take seconds each (Pyodide starts in every one): two at a time.
    let outputs: Vec<Option<(String, String, i32)>> = if node {
        let half = files.len().div_ceil(2);
        std::thread::scope(|scope| {
            let parts: Vec<_> = files
                .chunks(half.max(1))
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|f| {
                                Some(run(
                                    root,
                                    f.strip_prefix(root).expect("under the root"),
                                    "node",
                                ))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("a node runner thread"))
                .collect()
        })
    } else {
        vec![None; files.len()]
    };
    let mut failures = Vec::new();
    let mut ran = 0;
    for (file, output) in files.iter().zip(outputs) {
        let rel = file.strip_prefix(root).expect("under the root");
        // On workers: a file may say why its output differs there, and what it is.
        let mut want_out_override = None;
        if workers {
            if let Ok(note) = std::fs::read_to_string(file.with_extension("workers")) {
                let (reason, rest) = note.split_once('\n').unwrap_or((&note, ""));
                assert!(
                    !reason.trim().is_empty(),
                    "{}: a .workers file starts with the reason",
                    rel.display()
                );
                if rest.is_empty() {
                    continue;
                }
                want_out_override = Some(rest.to_string());
            }
        }
        ran += 1;
        let (stdout, stderr, code) = output.unwrap_or_else(|| run(root, rel, backend));
        let out_path = file.with_extension("out");
        let err_path = file.with_extension("err");
        if bless {
            std::fs::write(&out_path, &stdout).expect("write .out");
            if stderr.is_empty() {
                let _ = std::fs::remove_file(&err_path);
            } else {
                std::fs::write(&err_path, &stderr).expect("write .err");
            }
            continue;
        }
        let want_out = want_out_override
            .unwrap_or_else(|| std::fs::read_to_string(&out_path).unwrap_or_default());
        let want_err = std::fs::read_to_string(&err_path).ok();
        let want_code = if want_err.is_some() { 1 } else { 0 };
        let mut problems = Vec::new();
        if stdout != want_out {
            problems.push(format!(
                "stdout differs:\n--- want\n{want_out}--- got\n{stdout}"
            ));
        }
        if stderr != want_err.clone().unwrap_or_default() {
            problems.push(format!(
                "stderr differs:\n--- want\n{}--- got\n{stderr}",
                want_err.unwrap_or_default()
            ));
        }
        if code != want_code {
            problems.push(format!("exit code {code}, want {want_code}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", rel.display(), problems.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} golden files failed on the {backend} backend (BLESS=1 rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    if node {
        assert!(ran >= 60, "most golden files run under node ({ran} did)");
    } else {
        assert!(
            ran * 10 >= files.len() * 9,
            "most golden files run on {backend}"
        );
    }
}
