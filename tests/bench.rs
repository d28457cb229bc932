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

/// Runs a Python check (which prints `ok`) over the JSON on its stdin.
fn check_json(json: &str, script: &str) {
    let check = Command::new("python3")
        .args(["-c", script])
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
fn json_output_is_read_by_a_script() {
    let out = bench(&["--quick", "--reps", "1", "--suite", "P6,P12", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    check_json(&json,
            "import json, sys\n\
             rows = json.load(sys.stdin)\n\
             keys = {'id','what','unit','median','min','max','baseline_median','ratio','target','met'}\n\
             assert [r['id'] for r in rows] == ['P6', 'P12'], rows\n\
             for r in rows:\n\
             \x20   assert keys <= set(r), r\n\
             \x20   assert isinstance(r['met'], bool) and r['median'] is not None\n\
             print('ok')",
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

#[test]
fn tune_measures_and_recommends_both_settings() {
    let out = bench(&["--tune", "--quick", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // Progress while it runs: every window and size tried.
    assert!(err.contains("window: 1 4 16 64 256 1024 4096"), "{err}");
    assert!(err.contains("arrays: 64 512"), "{err}");
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    check_json(&json,
            "import json, sys\n\
             t = json.load(sys.stdin)\n\
             assert [w['window'] for w in t['windows']] == [1, 4, 16, 64, 256, 1024, 4096], t\n\
             assert all(w['calls_per_s'] > 0 for w in t['windows']), t\n\
             assert t['max_inflight'] in [w['window'] for w in t['windows']], t\n\
             assert len(t['sizes']) == 6 and all(s['shared_us'] > 0 and s['copied_us'] > 0 for s in t['sizes']), t\n\
             assert t['shm_threshold'] >= 0, t\n\
             print('ok')",
    );
}
