//! Golden tests: every `.lisp` file under `examples/` and `tests/golden/` is run by the real
//! binary; its stdout must equal the `.out` file beside it, and its stderr the `.err` file (a
//! file with `.err` must also exit 1; one without must exit 0 with nothing on stderr).
//! `BLESS=1 cargo test --test golden` rewrites the expected files from the actual output.
//!
//! The same files run again with `--backend workers` (the differential runner): the output must
//! be the same. A file whose behaviour cannot be the same on a worker process says so in a
//! `NAME.workers` file beside it: its first line is the reason, and if more lines follow, they
//! are the stdout expected on workers (otherwise the file is not run there).

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let bless = std::env::var_os("BLESS").is_some() && !workers;
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in &files {
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
        let (stdout, stderr, code) = run(root, rel, backend);
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
    assert!(
        ran * 10 >= files.len() * 9,
        "most golden files run on {backend}"
    );
}
