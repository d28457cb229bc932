//! What happens at exit, through the real binary: Python is finalized on every exit path
//! (`atexit` handlers run, files left open are flushed), `SystemExit` ends the program with its
//! status, a closed stdout pipe ends it quietly with 141, a failed write is reported, and a
//! `--python` that is not a Python is refused clearly.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

/// A diagnostic's text with miette's line wrapping undone (`\n  | ` continuation gutters).
fn flat(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start().trim_start_matches("| "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `polyglot -e EXPR` to completion.
fn eval(expr: &str) -> Output {
    run(&["-e", expr])
}

// ---------------------------------------------------------------------------------------------
// Class 1: Python is finalized at exit

const ATEXIT: &str =
    r#"(py-exec "import atexit; atexit.register(lambda: print('bye from atexit'))")"#;

#[test]
fn finalize_runs_atexit_handlers_after_eval() {
    let o = eval(ATEXIT);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "nil\nbye from atexit\n", "{}", o.show());
}

#[test]
fn finalize_runs_atexit_handlers_after_a_script_and_stdin() {
    let dir = TempDir::new("exit-atexit-script");
    let script = dir.file("s.lisp", &format!("{ATEXIT}\n(println \"end\")\n"));
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "end\nbye from atexit\n"),
        "{}",
        o.show()
    );
    let o = run_stdin(&["-"], &format!("{ATEXIT}\n(println \"end\")\n"));
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "end\nbye from atexit\n"),
        "{}",
        o.show()
    );
}

#[test]
fn finalize_runs_atexit_handlers_after_an_uncaught_error() {
    let o = eval(&format!("{ATEXIT} (/ 1 0)"));
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("ZeroDivisionError"), "{}", o.show());
    assert_eq!(o.stdout, "bye from atexit\n", "{}", o.show());
}

#[test]
fn finalize_sees_globals_that_atexit_handlers_use() {
    let o =
        eval(r#"(py-exec "import atexit\nx = 41\natexit.register(lambda: print('x is', x + 1))")"#);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "nil\nx is 42\n"),
        "{}",
        o.show()
    );
}

#[test]
fn finalize_flushes_a_file_left_open_in_python() {
    let dir = TempDir::new("exit-open-file");
    let path = dir.path().join("left-open.txt");
    let p = path.to_str().unwrap();
    let o = eval(&format!(
        r#"(py-exec "f = open('{p}', 'w')\nf.write('buffered text')")"#
    ));
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        "buffered text",
        "{}",
        o.show()
    );
}

#[test]
fn finalize_flushes_a_file_held_by_a_lisp_handle() {
    let dir = TempDir::new("exit-handle-file");
    let path = dir.path().join("held.txt");
    let p = path.to_str().unwrap();
    let o = eval(&format!(
        r#"(def f (py-eval "open('{p}', 'w')")) ((. f write) "held by the Lisp") nil"#
    ));
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        "held by the Lisp",
        "{}",
        o.show()
    );
}

#[test]
fn finalize_runs_atexit_handlers_on_ctrl_d_in_the_repl() {
    let dir = TempDir::new("exit-repl-atexit");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send(
            "(py-exec \"import atexit; atexit.register(lambda: print('bye' + ' from repl'))\")\r",
        ),
        Step::Expect("nil"),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::Expect("bye from repl"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

#[test]
fn finalize_is_quiet_without_python() {
    let o = eval("(+ 1 2)");
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "3\n", ""),
        "{}",
        o.show()
    );
}

// ---------------------------------------------------------------------------------------------
// Class 2: SystemExit ends the program with its status

#[test]
fn system_exit_0_exits_0_silently() {
    let o = eval(r#"(println "before") (py-exec "import sys; sys.exit(0)") (println "after")"#);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "before\n", ""),
        "{}",
        o.show()
    );
}

#[test]
fn system_exit_with_a_number_exits_with_it() {
    for n in [2, 3, 42] {
        let o = eval(&format!(r#"(py-exec "import sys; sys.exit({n})")"#));
        assert_eq!((o.code, o.stderr.as_str()), (n, ""), "{}", o.show());
    }
    let o = eval(r#"(py-exec "raise SystemExit(5)")"#);
    assert_eq!((o.code, o.stderr.as_str()), (5, ""), "{}", o.show());
}

#[test]
fn system_exit_with_none_exits_0() {
    let o = eval(r#"(py-exec "import sys; sys.exit(None)")"#);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{}", o.show());
    let o = eval(r#"(py-exec "import sys; sys.exit()")"#);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{}", o.show());
}

#[test]
fn system_exit_with_a_message_prints_it_and_exits_1() {
    let o = eval(r#"(py-exec "import sys; sys.exit('bye')")"#);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "", "bye\n"),
        "{}",
        o.show()
    );
}

#[test]
fn system_exit_in_a_script_still_runs_atexit_handlers() {
    let dir = TempDir::new("exit-system-exit-script");
    let script = dir.file(
        "s.lisp",
        &format!("{ATEXIT}\n(py-exec \"import sys; sys.exit(3)\")\n(println \"not reached\")\n"),
    );
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (3, "bye from atexit\n", ""),
        "{}",
        o.show()
    );
}

#[test]
fn system_exit_can_still_be_caught() {
    let o = eval(r#"(try (py-exec "import sys; sys.exit(4)") (catch SystemExit e "caught"))"#);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "\"caught\"\n"),
        "{}",
        o.show()
    );
}

// ---------------------------------------------------------------------------------------------
// Class 3: write errors on stdout

/// Runs `polyglot -e EXPR` with stdout piped, reads one line, closes the pipe, and waits
/// (with a timeout) for the exit status.
fn first_line_then_close(expr: &str) -> (String, i32, String, Duration) {
    let mut child = polyglot(&["-e", expr])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start polyglot");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout pipe"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read a line");
    let closed = Instant::now();
    drop(reader);
    let code = wait_with_timeout(&mut child, expr);
    let waited = closed.elapsed();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    (line, code, stderr, waited)
}

#[test]
fn write_error_epipe_ends_a_println_loop_with_141() {
    let (line, code, stderr, waited) = first_line_then_close("(loop [] (println 1) (recur))");
    assert_eq!(line, "1\n");
    assert_eq!(code, 141, "stderr: {stderr}");
    assert_eq!(stderr, "", "a closed pipe is not reported");
    assert!(waited < Duration::from_secs(5), "took {waited:?}");
}

#[test]
fn write_error_epipe_ends_a_print_loop_with_141() {
    let (_, code, stderr, waited) =
        first_line_then_close(r#"(loop [] (print "x") (print "\n") (recur))"#);
    assert_eq!(code, 141, "stderr: {stderr}");
    assert_eq!(stderr, "");
    assert!(waited < Duration::from_secs(5), "took {waited:?}");
}

#[test]
fn write_error_epipe_from_python_print_ends_with_141() {
    let (line, code, stderr, waited) = first_line_then_close(r#"(py-exec "while True: print(1)")"#);
    assert_eq!(line, "1\n");
    assert_eq!(code, 141, "stderr: {stderr}");
    assert!(!stderr.contains("polyglot::"), "no diagnostic: {stderr}");
    assert!(waited < Duration::from_secs(5), "took {waited:?}");
}

fn to_dev_full(args: &[&str]) -> Option<Output> {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .ok()?;
    let mut c = polyglot(args);
    c.stdout(full).stderr(Stdio::piped());
    let mut child = c.spawn().expect("start polyglot");
    let mut stderr = String::new();
    let err = child.stderr.take();
    let code = wait_with_timeout(&mut child, "/dev/full");
    if let Some(mut e) = err {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    Some(Output {
        stdout: String::new(),
        stderr,
        code,
    })
}

#[test]
fn write_error_on_a_full_device_is_reported() {
    for args in [
        &["-e", "(println 1)"][..],
        &["-e", "(+ 1 2)"][..],
        &["-e", "(print 1)"][..],
    ] {
        let Some(o) = to_dev_full(args) else {
            eprintln!("no /dev/full here: skipped");
            return;
        };
        assert_ne!(o.code, 0, "{args:?}: {}", o.show());
        assert!(
            o.stderr.contains("No space left on device"),
            "{args:?}: {}",
            o.show()
        );
    }
}

#[test]
fn write_error_on_a_full_device_stops_a_loop() {
    let Some(o) = to_dev_full(&["-e", "(loop [] (println 1) (recur))"]) else {
        return;
    };
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("OSError"), "{}", o.show());
}

// ---------------------------------------------------------------------------------------------
// Class 4: --python must be a Python of the linked version

#[test]
fn python_path_that_is_not_a_python_is_refused() {
    for prog in ["/bin/true", "/bin/false", "/bin/echo"] {
        if !std::path::Path::new(prog).exists() {
            continue;
        }
        let o = run(&["--python", prog, "-e", "(py-eval \"1\")"]);
        assert_eq!(o.code, 1, "{prog}: {}", o.show());
        assert!(
            flat(&o.stderr).contains(&format!("{prog} is not a Python interpreter")),
            "{prog}: {}",
            o.show()
        );
        assert!(o.stderr.contains("PythonUnavailable"), "{}", o.show());
        assert_eq!(o.stdout, "", "{}", o.show());
    }
}

#[test]
fn python_path_that_cannot_run_is_refused() {
    let dir = TempDir::new("exit-python-not-executable");
    let file = dir.file("python-ish", "not a program\n");
    let o = run(&["--python", file.to_str().unwrap(), "-e", "(py-eval \"1\")"]);
    assert_eq!(o.code, 1, "{}", o.show());
    let text = flat(&o.stderr);
    assert!(text.contains("is not a Python interpreter"), "{}", o.show());
    assert!(text.contains("cannot be run"), "{}", o.show());
}

#[test]
fn python_path_still_unused_by_pure_lisp() {
    let o = run(&["--python", "/bin/true", "-e", "(+ 1 2)"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "3\n", ""),
        "{}",
        o.show()
    );
}
