//! The Jupyter kernel, tested on the real binary: `polyglot kernel install` / `uninstall`, and
//! the protocol driven by real Jupyter clients — the official conformance suite
//! (`jupyter_kernel_test`), interrupt, restart, streams, rich display, stdin, abort-on-error, and
//! the teaching notebooks run by nbclient (tests/kernel/test_kernel.py, through pytest in the
//! project's venv). The kernelspec goes into a temporary prefix: nothing is written to `~`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{polyglot, run_with, TempDir};

/// The project's Python environment (`make venv` creates it with the kernel's test tools).
fn venv_python() -> PathBuf {
    let venv = std::env::var_os("VIRTUAL_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    venv.join("bin/python")
}

fn install(prefix: &Path, extra: &[&str]) -> support::Output {
    let prefix = prefix.to_str().unwrap();
    let mut args = vec!["kernel", "install", "--prefix", prefix];
    args.extend_from_slice(extra);
    run_with(polyglot(&args), None)
}

#[test]
fn install_writes_a_kernelspec_with_absolute_paths_and_logos() {
    let dir = TempDir::new("kernelspec");
    let o = install(
        dir.path(),
        &["--name", "pg-test", "--display-name", "Lisp class"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let spec = dir.path().join("share/jupyter/kernels/pg-test");
    let json = std::fs::read_to_string(spec.join("kernel.json")).expect("kernel.json");
    assert!(json.contains(env!("CARGO_BIN_EXE_polyglot")), "{json}");
    assert!(json.contains("\"display_name\": \"Lisp class\""), "{json}");
    assert!(json.contains("{connection_file}"), "{json}");
    for logo in ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] {
        assert!(spec.join(logo).exists(), "{logo} missing");
    }
    let png = std::fs::read(spec.join("logo-64x64.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    let prefix = dir.path().to_str().unwrap();
    let o = run_with(
        polyglot(&[
            "kernel",
            "uninstall",
            "--prefix",
            prefix,
            "--name",
            "pg-test",
        ]),
        None,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(!spec.exists());
    let o = run_with(
        polyglot(&[
            "kernel",
            "uninstall",
            "--prefix",
            prefix,
            "--name",
            "pg-test",
        ]),
        None,
    );
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("no kernelspec"), "{}", o.show());
}

#[test]
fn install_refuses_bad_names_and_the_kernel_needs_a_connection_file() {
    let dir = TempDir::new("kernelspec-bad");
    let o = install(dir.path(), &["--name", "bad name"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("kernel name"), "{}", o.show());
    let o = run_with(polyglot(&["kernel"]), None);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("--connection-file"), "{}", o.show());
    let missing = dir.path().join("missing.json");
    let o = run_with(
        polyglot(&["kernel", "--connection-file", missing.to_str().unwrap()]),
        None,
    );
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("cannot read"), "{}", o.show());
}

/// The Python half: pytest over tests/kernel/ with the kernelspec of this binary.
#[test]
fn the_protocol_through_real_jupyter_clients() {
    pytest_with_kernelspec("kernel-pytest", &[]);
}

/// The same suite with the kernel on the workers backend (its Python in a pool of two).
#[test]
fn the_protocol_through_real_jupyter_clients_on_workers() {
    pytest_with_kernelspec(
        "kernel-pytest-workers",
        &["--backend", "workers", "--workers", "2"],
    );
}

fn pytest_with_kernelspec(name: &str, flags: &[&str]) {
    let dir = TempDir::new(name);
    let o = install(dir.path(), flags);
    assert_eq!(o.code, 0, "{}", o.show());
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kernel");
    let runtime = dir.path().join("runtime");
    let data = dir.path().join("data");
    let mut child = Command::new(venv_python())
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_kernel.py",
        ])
        .current_dir(&tests)
        .env("JUPYTER_PATH", dir.path().join("share/jupyter"))
        .env("JUPYTER_RUNTIME_DIR", &runtime)
        .env("JUPYTER_DATA_DIR", &data)
        .env("JUPYTER_CONFIG_DIR", dir.path().join("config"))
        .env("JUPYTER_PLATFORM_DIRS", "1")
        .env("IPYTHONDIR", dir.path().join("ipython"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pytest in the venv (make venv installs it)");
    let out = std::thread::spawn({
        let mut s = child.stdout.take().unwrap();
        move || {
            let mut b = String::new();
            std::io::Read::read_to_string(&mut s, &mut b).ok();
            b
        }
    });
    let err = std::thread::spawn({
        let mut s = child.stderr.take().unwrap();
        move || {
            let mut b = String::new();
            std::io::Read::read_to_string(&mut s, &mut b).ok();
            b
        }
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            panic!("pytest did not finish in 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "pytest failed\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    );
    // The suite ran for real: pytest's closing line counts the passes.
    let last = out
        .lines()
        .rev()
        .find(|l| l.contains("passed"))
        .unwrap_or("");
    let passed: usize = last
        .split_whitespace()
        .zip(last.split_whitespace().skip(1))
        .find(|(_, w)| w.starts_with("passed"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 40, "too few tests passed: {last}\n{out}");
    eprintln!("{last}");
}
