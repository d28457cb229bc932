//! `polyglot bench` on the real binary: the table, `--suite`, and `--json` that a script can
//! read (checked with Python's own `json` module, one object per suite with the agreed keys).

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polyglot"))
        .arg("bench")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run polyglot bench")
}

#[test]
fn json_output_is_read_by_a_script() {
    let out = bench(&["--quick", "--reps", "1", "--suite", "P6,P12", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    let check = Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             rows = json.load(sys.stdin)\n\
             keys = {'id','what','unit','median','min','max','baseline_median','ratio','target','met'}\n\
             assert [r['id'] for r in rows] == ['P6', 'P12'], rows\n\
             for r in rows:\n\
             \x20   assert keys <= set(r), r\n\
             \x20   assert isinstance(r['met'], bool) and r['median'] is not None\n\
             print('ok')",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(json.as_bytes())?;
            c.wait_with_output()
        })
        .expect("run python3");
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        "ok",
        "{json}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn table_has_header_progress_and_verdicts() {
    let out = bench(&["--quick", "--reps", "1", "--suite", "P5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("Python 3."), "{stdout}");
    assert!(stdout.contains("median") && stdout.contains("baseline") && stdout.contains("ratio"));
    assert!(stdout.lines().any(|l| l.starts_with("P5 ")), "{stdout}");
    assert!(stderr.contains("[1/1] P5"), "{stderr}");
}

#[test]
fn unknown_suite_is_a_usage_error() {
    let out = bench(&["--suite", "P99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("P1"));
}
