//! Reliability of the reader and of diagnostics on hostile input, through the real binary:
//! long runs of `#_`, very long lines, malformed escapes and numbers. Every case must end in a
//! clean diagnostic (exit 1, the diagnostic code on stderr, a short stderr), never a panic, a
//! stack overflow or a hang.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one run may take before the test fails as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);
/// The most stderr a diagnostic may take, whatever the input's size.
const MAX_STDERR: usize = 4096;

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

/// Writes `text` to a fresh file and runs the binary on it with `NO_COLOR=1`.
fn run_script(name: &str, text: &str) -> Run {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "polyglot-reliability-reader-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path: PathBuf = dir.join(format!("{name}.lisp"));
    std::fs::write(&path, text).expect("write script");
    let run = run_binary(&path);
    let _ = std::fs::remove_dir_all(&dir);
    run
}

fn run_binary(path: &std::path::Path) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polyglot"))
        .arg(path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start polyglot");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("polyglot {} hung for more than {TIMEOUT:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().expect("stdout")).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().expect("stderr")).into_owned();
    Run {
        stdout,
        stderr,
        code: status.code(),
    }
}

/// A clean diagnostic: exit 1 (not a signal), `code` on stderr, no panic, a short stderr.
fn assert_clean_error(what: &str, run: &Run, code: &str) {
    let head: String = run.stderr.chars().take(2000).collect();
    assert_eq!(
        run.code,
        Some(1),
        "{what}: exit status (None is a signal death)\n{head}"
    );
    assert!(!run.stderr.contains("panicked"), "{what}: panicked\n{head}");
    assert!(
        !run.stderr.contains("overflow"),
        "{what}: stack overflow\n{head}"
    );
    assert!(
        run.stderr.contains(code),
        "{what}: expected `{code}` on stderr\n{head}"
    );
    assert!(
        run.stderr.len() < MAX_STDERR,
        "{what}: stderr is {} bytes\n{head}",
        run.stderr.len()
    );
}

#[test]
fn discard_nesting_is_capped() {
    for n in [1_002, 10_000, 50_000, 200_000] {
        for (shape, text) in [
            ("run", format!("{}1\n", "#_".repeat(n))),
            ("spaced", format!("{}1\n", "#_ ".repeat(n))),
            ("in-list", format!("(+ 1 {}2)\n", "#_".repeat(n))),
            ("in-vector", format!("[{}1]\n", "#_".repeat(n))),
            ("in-map", format!("{{:a {}1}}\n", "#_".repeat(n))),
            ("after-quote", format!("'{}x\n", "#_".repeat(n))),
            (
                "after-a-form",
                format!("(println 1)\n{}(println 2)\n", "#_".repeat(n)),
            ),
        ] {
            let run = run_script("discard", &text);
            assert_clean_error(
                &format!("{n} `#_` ({shape})"),
                &run,
                "polyglot::read::too_deep",
            );
            assert!(!run.stdout.contains('2'), "{shape}: {}", run.stdout);
        }
    }
}

#[test]
fn discard_runs_under_the_cap_still_work() {
    let n = 900;
    let forms: Vec<String> = (0..=n).map(|i| format!("(println {i})")).collect();
    let text = format!("{}{}\n", "#_".repeat(n), forms.join(" "));
    let run = run_script("discard-ok", &text);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, format!("{n}\n"));
    // Many discards one after another are not nesting.
    let text = format!("{}(println :done)\n", "#_ (1 2) ".repeat(100_000));
    let run = run_script("discard-seq", &text);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, ":done\n");
}

#[test]
fn discard_nesting_is_capped_in_the_repl_validator() {
    // The REPL's line validator reads with the same reader: a clean error, which it submits.
    for n in [10_000, 50_000, 200_000] {
        let text = format!("{}1", "#_".repeat(n));
        let e = polyglot::repl::input_state(&text).unwrap_err();
        assert!(!e.is_incomplete(), "{n}: {e:?}");
        assert!(
            matches!(e, polyglot::reader::ReadError::TooDeep { .. }),
            "{n}: {e:?}"
        );
    }
    // Too few forms for the `#_`s is incomplete input: the REPL asks for another line.
    assert!(polyglot::repl::input_state("#_ #_ 1")
        .unwrap_err()
        .is_incomplete());
}

#[test]
fn long_lines_are_shortened_in_diagnostics() {
    for n in [70_000, 300_000] {
        // A runtime error far along one line.
        let run = run_script("long-div", &format!("{}(/ 1 0)\n", " ".repeat(n)));
        assert_clean_error(
            &format!("(/ 1 0) at column {n}"),
            &run,
            "polyglot::eval::zero_division",
        );
        assert!(
            run.stderr.contains(&format!(":1:{}]", n + 1)),
            "the header keeps the real column\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("(/ 1 0)"), "{}", run.stderr);
        assert!(run.stderr.contains('…'), "{}", run.stderr);
        // The label still points under the form: its `^` run starts where `(/ 1 0)` does.
        let lines: Vec<&str> = run.stderr.lines().collect();
        let src = lines
            .iter()
            .position(|l| l.contains("(/ 1 0)"))
            .expect("source line");
        let column = |line: &str, pat: char| line.chars().position(|c| c == pat);
        let marks = lines[src + 1];
        assert_eq!(
            column(marks, '^'),
            column(lines[src], '('),
            "{}",
            run.stderr
        );

        // After text that is not blank, on a later line, after a long context line.
        let text = format!(
            "(def s \"{}\")\n(println (count s))\n{}(undefined-thing 1)\n",
            "x".repeat(n),
            "(+ 1 1) ".repeat(n / 8)
        );
        let run = run_script("long-unbound", &text);
        assert_clean_error(
            &format!("unbound at column {n}"),
            &run,
            "polyglot::eval::unbound",
        );
        assert!(run.stdout.starts_with(&n.to_string()));
        assert!(run.stderr.contains("undefined-thing"), "{}", run.stderr);

        // Multi-byte characters before the span.
        let text = format!("(def s \"{}\") (/ 1 0)\n", "é😀".repeat(n / 2));
        let run = run_script("long-utf8", &text);
        assert_clean_error(
            &format!("utf-8 line of {n}"),
            &run,
            "polyglot::eval::zero_division",
        );

        // A read error at the far end of a line.
        let run = run_script("long-read", &format!("{}\"\\q\"\n", " ".repeat(n)));
        assert_clean_error(
            &format!("bad escape at column {n}"),
            &run,
            "polyglot::read::bad_escape",
        );

        // A label that is itself longer than the window.
        let text = format!("(/ 1 0{})\n", " 1".repeat(n / 2));
        let run = run_script("long-label", &text);
        assert_clean_error(
            &format!("label of {n}"),
            &run,
            "polyglot::eval::zero_division",
        );

        // Two labels far apart on one line: the mismatched closer and its opener.
        let text = format!("(list {}]\n", "1 ".repeat(n / 2));
        let run = run_script("long-mismatch", &text);
        assert_clean_error(
            &format!("mismatched over {n}"),
            &run,
            "polyglot::read::mismatched",
        );
        assert!(run.stderr.contains("(list"), "{}", run.stderr);
    }
}

#[test]
fn deep_open_lines_are_shortened_in_diagnostics() {
    for n in [200_000, 1_000_000] {
        let run = run_script("deep-open", &"(".repeat(n));
        assert_clean_error(&format!("{n} `(`"), &run, "polyglot::read::too_deep");
        let run = run_script(
            "deep-open-closed",
            &format!("{}{}", "[".repeat(n), "]".repeat(n)),
        );
        assert_clean_error(&format!("{n} `[`"), &run, "polyglot::read::too_deep");
    }
}

#[test]
fn huge_tokens_are_clipped_in_diagnostics() {
    for n in [70_000, 300_000] {
        let run = run_script("long-number", &format!("1{}x\n", "0".repeat(n)));
        assert_clean_error("long bad number", &run, "polyglot::read::bad_number");
        let run = run_script("long-dispatch", &format!("#{}\n", "y".repeat(n)));
        assert_clean_error("long reader syntax", &run, "polyglot::read::bad_token");
        let run = run_script("long-symbol", &format!("(+ 1 {})\n", "z".repeat(n)));
        assert_clean_error("long unbound symbol", &run, "polyglot::eval::unbound");
    }
}

#[test]
fn bad_escapes_are_read_errors() {
    for esc in [
        r"\u+041",
        r"\u-041",
        r"\u{+41}",
        r"\u{}",
        r"\u{1234567}",
        r"\u{110000}",
        r"\uD800",
        r"\u41",
        r"\x4",
        r"\x+4",
        r"\U+0001F60",
        r"\U0001F60",
        r"\q",
        r"\a",
    ] {
        let run = run_script("bad-escape", &format!("(println \"a{esc}\")\n"));
        assert_clean_error(esc, &run, "polyglot::read::bad_escape");
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains(":1:12]"), "{esc}: span\n{}", run.stderr);
    }
}

#[test]
fn every_contract_escape_reads() {
    let text = r#"(println (= "\x41\u0042\U00000043\u{44}" "ABCD"))
(println (count "\b\f\r\0\n\t\"\\"))
(println (= "\u{1F600}" "\U0001F600"))
"#;
    let run = run_script("escapes", text);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "true\n8\ntrue\n");
}

#[test]
fn malformed_numbers_are_read_errors() {
    for text in [
        "1_", "1__0", "1_000_", "-1__2", "1_.5", "1._5", "1e_5", "1.5_",
    ] {
        let run = run_script("bad-number", &format!("(println {text})\n"));
        assert_clean_error(text, &run, "polyglot::read::bad_number");
        assert!(run.stdout.is_empty());
    }
    let run = run_script(
        "numbers",
        "(println 1_000 -2_000_000 1_0.2_5 1e1_0)\n(println (type-of '_1))\n",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "1000 -2000000 10.25 10000000000.0\nsymbol\n");
}
