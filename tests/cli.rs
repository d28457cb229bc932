//! The command line, tested on the real binary (see CONTRACT.md §Command line): `-e`, scripts
//! with `*argv*`, stdin, `#!`, exit codes, diagnostics on stderr (plain under NO_COLOR /
//! `--no-color`), `--help`, `--version`, output flushing and a closed stdout pipe.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use support::{has_escape, polyglot, run, run_stdin, run_with, Pty, Step, TempDir};

// ---------------------------------------------------------------------------------------------
// -e

#[test]
fn eval_prints_the_value_with_prn() {
    let o = run(&["-e", "(+ 1 2)"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "3\n", ""),
        "{}",
        o.show()
    );
}

#[test]
fn eval_several_forms_prints_only_the_last() {
    let o = run(&["-e", "(def x 20) (println \"side effect\") (+ x 22)"]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "side effect\n42\n", "{}", o.show());
}

#[test]
fn eval_prints_strings_quoted() {
    let o = run(&["-e", "\"hi\""]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "\"hi\"\n"), "{}", o.show());
    let o = run(&["-e", "(str \"a\" \"b\\\"c\")"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "\"ab\\\"c\"\n"),
        "{}",
        o.show()
    );
    let o = run(&["-e", "[1 \"two\" nil]"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "[1 \"two\" nil]\n"),
        "{}",
        o.show()
    );
}

#[test]
fn eval_prints_nil_after_output() {
    let o = run(&["-e", "(println \"x\")"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "x\nnil\n"), "{}", o.show());
}

#[test]
fn eval_argv_is_an_empty_vector() {
    let o = run(&["-e", "*argv*"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "[]\n"), "{}", o.show());
}

// ---------------------------------------------------------------------------------------------
// Scripts

#[test]
fn script_file_gets_args_as_argv_strings() {
    let dir = TempDir::new("script-argv");
    let script = dir.file(
        "args.lisp",
        "(prn *argv*)\n(prn (vector? *argv*) (count *argv*))\n(prn (map string? *argv*))\n",
    );
    let o = run(&[
        script.to_str().unwrap(),
        "a",
        "b c",
        "42",
        "-x",
        "--no-color",
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(
        o.stdout,
        "[\"a\" \"b c\" \"42\" \"-x\" \"--no-color\"]\ntrue 5\n(true true true true true)\n",
        "{}",
        o.show()
    );
    assert_eq!(o.stderr, "", "{}", o.show());
}

#[test]
fn script_file_without_args_has_empty_argv() {
    let dir = TempDir::new("script-noargs");
    let script = dir.file("noargs.lisp", "(prn *argv*)");
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "[]\n"), "{}", o.show());
}

#[test]
fn script_prints_nothing_but_its_output() {
    // Unlike -e, a script's last value is not printed.
    let dir = TempDir::new("script-quiet");
    let script = dir.file("quiet.lisp", "(println \"hello\")\n(+ 1 2)\n");
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "hello\n"), "{}", o.show());
}

#[test]
fn dash_reads_the_script_from_stdin() {
    let o = run_stdin(&["-", "a", "b"], "(println \"from stdin\")\n(prn *argv*)\n");
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "from stdin\n[\"a\" \"b\"]\n", "{}", o.show());
}

#[test]
fn piped_stdin_without_args_runs_as_a_script() {
    let o = run_stdin(&[], "(def x 6)\n(println (* x 7))\n(prn *argv*)\n");
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "42\n[]\n", "{}", o.show());
    assert!(
        !o.stdout.contains("pg>"),
        "no REPL prompt when stdin is a pipe\n{}",
        o.show()
    );
}

#[test]
fn shebang_line_is_ignored_in_a_file() {
    let dir = TempDir::new("shebang");
    let script = dir.file(
        "run.lisp",
        "#!/usr/bin/env polyglot\n(println \"ran\" (count *argv*))\n",
    );
    let o = run(&[script.to_str().unwrap(), "x"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "ran 1\n"), "{}", o.show());
}

#[test]
fn shebang_line_is_ignored_on_stdin() {
    let o = run_stdin(&["-"], "#!/usr/bin/env polyglot\n(println \"ran\")\n");
    assert_eq!((o.code, o.stdout.as_str()), (0, "ran\n"), "{}", o.show());
}

#[test]
fn shebang_error_lines_are_counted_from_the_file_start() {
    let dir = TempDir::new("shebang-line");
    let script = dir.file(
        "bad.lisp",
        "#!/usr/bin/env polyglot\n(println 1)\n(oops-unbound)\n",
    );
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("bad.lisp:3:"),
        "the error is on line 3\n{}",
        o.show()
    );
}

// ---------------------------------------------------------------------------------------------
// Errors and exit codes

const BAD_SCRIPT: &str = "(println \"before\")\n(defn f (x) (* x 2))\n(f (undefined-thing))\n";

fn assert_unbound_diagnostic(o: &support::Output, file: &str) {
    assert_eq!(o.code, 1, "an uncaught error exits 1\n{}", o.show());
    for needle in [
        "polyglot::eval::unbound",
        "unbound symbol `undefined-thing`",
        file,
        "(f (undefined-thing))",
    ] {
        assert!(
            o.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            o.show()
        );
    }
    assert!(
        !has_escape(&o.stderr),
        "escape codes on stderr\n{:?}",
        o.stderr
    );
    assert!(
        !has_escape(&o.stdout),
        "escape codes on stdout\n{:?}",
        o.stdout
    );
    assert_eq!(
        o.stdout,
        "before\n",
        "output before the error is kept\n{}",
        o.show()
    );
}

#[test]
fn uncaught_error_exits_1_with_a_plain_diagnostic_under_no_color() {
    let dir = TempDir::new("err-nocolor");
    let script = dir.file("broken.lisp", BAD_SCRIPT);
    let o = run(&[script.to_str().unwrap()]);
    assert_unbound_diagnostic(&o, "broken.lisp:3:");
}

#[test]
fn uncaught_error_exits_1_with_a_plain_diagnostic_under_no_color_flag() {
    let dir = TempDir::new("err-flag");
    let script = dir.file("broken.lisp", BAD_SCRIPT);
    let mut cmd = polyglot(&["--no-color", script.to_str().unwrap()]);
    cmd.env_remove("NO_COLOR");
    let o = run_with(cmd, None);
    assert_unbound_diagnostic(&o, "broken.lisp:3:");
}

#[test]
fn eval_error_names_the_eval_source() {
    let o = run(&["-e", "(+ 1 2)\n(undefined-thing)"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert_eq!(
        o.stdout,
        "",
        "nothing is printed when -e fails\n{}",
        o.show()
    );
    for needle in ["polyglot::eval::unbound", "undefined-thing", "<-e>:2:"] {
        assert!(
            o.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            o.show()
        );
    }
}

#[test]
fn runtime_error_from_a_builtin_exits_1() {
    let o = run(&["-e", "(/ 1 0)"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("polyglot::"), "{}", o.show());
    assert!(o.stderr.contains("(/ 1 0)"), "{}", o.show());
}

#[test]
fn caught_error_exits_0() {
    let o = run(&["-e", "(try (undefined-thing) (catch e \"caught\"))"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "\"caught\"\n", ""),
        "{}",
        o.show()
    );
}

#[test]
fn missing_script_file_exits_1() {
    let dir = TempDir::new("missing");
    let missing = dir.path().join("no-such-script.lisp");
    let o = run(&[missing.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("no-such-script.lisp"), "{}", o.show());
    assert!(!o.stderr.contains("panicked"), "{}", o.show());
}

#[test]
fn unknown_flag_exits_2() {
    for args in [
        &["--bogus"][..],
        &["--no-colr", "-e", "1"],
        &["--bogus", "x.lisp"],
    ] {
        let o = run(args);
        assert_eq!(o.code, 2, "{args:?} is bad usage\n{}", o.show());
        assert!(
            o.stderr.contains("--"),
            "{args:?}: the error names the flag\n{}",
            o.show()
        );
        assert_eq!(o.stdout, "", "{}", o.show());
    }
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["--backend", "bogus", "-e", "1"][..],
        &["--workers", "x", "-e", "1"],
        &["--workers", "0", "-e", "1"],
        &["--max-inflight", "0", "-e", "1"],
        &["--attr-cache-ttl", "-5", "-e", "1"],
        &["-e"],
        &["-e", "1", "script.lisp"],
    ] {
        let o = run(args);
        assert_eq!(o.code, 2, "{args:?} is bad usage\n{}", o.show());
        assert!(
            o.stderr.contains("error"),
            "{args:?}: an error on stderr\n{}",
            o.show()
        );
        assert_eq!(o.stdout, "", "{args:?}\n{}", o.show());
        assert!(!o.stderr.contains("panicked"), "{}", o.show());
    }
}

#[test]
fn flags_after_the_script_go_to_argv() {
    let dir = TempDir::new("flags-after");
    let script = dir.file("f.lisp", "(prn *argv*)");
    let o = run(&["--no-color", script.to_str().unwrap(), "--bogus", "-e", "x"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "[\"--bogus\" \"-e\" \"x\"]\n"),
        "{}",
        o.show()
    );
}

#[test]
fn read_error_unclosed_paren_exits_1() {
    let o = run(&["-e", "(+ 1"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("polyglot::read::incomplete"),
        "{}",
        o.show()
    );

    let dir = TempDir::new("read-error");
    let script = dir.file("open.lisp", "(println \"fine\")\n(defn f (x)\n  (+ x 1)\n");
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("polyglot::read::incomplete"),
        "{}",
        o.show()
    );
    assert!(o.stderr.contains("open.lisp"), "{}", o.show());
    assert!(!has_escape(&o.stderr), "{:?}", o.stderr);
}

#[test]
fn read_error_from_stdin_exits_1() {
    let o = run_stdin(&["-"], "(list 1 2");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("polyglot::read::incomplete"),
        "{}",
        o.show()
    );
}

// ---------------------------------------------------------------------------------------------
// Colour: stderr a real terminal

fn diagnostic_in_a_pty(dir: &TempDir, name: &str, pty: Pty) -> (String, support::PtyRun) {
    let raw = dir.path().join(name);
    let r = pty.raw_out(&raw).run(&[Step::ExpectExit]);
    r.assert_ok();
    assert_eq!(r.exit(), Some("EXIT 1"), "{}", r.report);
    assert!(
        r.transcript().contains("polyglot::eval::unbound"),
        "{}",
        r.report
    );
    let bytes = std::fs::read(&raw).expect("the raw pty output");
    (String::from_utf8_lossy(&bytes).into_owned(), r)
}

#[test]
fn no_escape_codes_on_a_terminal_with_no_color() {
    let dir = TempDir::new("pty-color");
    let args = ["-e", "(undefined-thing)"];
    let (raw, r) = diagnostic_in_a_pty(&dir, "env.bin", Pty::new(&args).env("NO_COLOR", "1"));
    assert!(!has_escape(&raw), "NO_COLOR=1: {raw:?}\n{}", r.report);

    let flag_args = ["--no-color", "-e", "(undefined-thing)"];
    let (raw, r) = diagnostic_in_a_pty(
        &dir,
        "flag.bin",
        Pty::new(&flag_args).env_remove("NO_COLOR"),
    );
    assert!(!has_escape(&raw), "--no-color: {raw:?}\n{}", r.report);

    // The control: without either, a terminal gets colour, so the checks above can fail.
    let (raw, r) = diagnostic_in_a_pty(&dir, "color.bin", Pty::new(&args).env_remove("NO_COLOR"));
    assert!(
        has_escape(&raw),
        "expected colour on a terminal: {raw:?}\n{}",
        r.report
    );
}

// ---------------------------------------------------------------------------------------------
// --help, --version

#[test]
fn help_mentions_every_flag_and_exits_0() {
    let o = run(&["--help"]);
    assert_eq!(o.code, 0, "{}", o.show());
    for flag in [
        "--python",
        "--backend",
        "--workers",
        "--max-inflight",
        "--attr-cache-ttl",
        "--no-color",
        "--timing",
        "--no-timing",
        "-e",
        "--help",
        "--version",
    ] {
        assert!(o.stdout.contains(flag), "--help lacks {flag}\n{}", o.show());
    }
    assert!(
        o.stdout.contains("embedded") && o.stdout.contains("workers"),
        "{}",
        o.show()
    );
    assert_eq!(o.stderr, "", "{}", o.show());
    let short = run(&["-h"]);
    assert_eq!(short.code, 0, "{}", short.show());
    assert!(short.stdout.contains("--max-inflight"), "{}", short.show());
}

#[test]
fn version_prints_name_and_version() {
    let o = run(&["--version"]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(
        o.stdout.trim(),
        format!("polyglot {}", env!("CARGO_PKG_VERSION")),
        "{}",
        o.show()
    );
    let o = run(&["-V"]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", o.show());
}

// ---------------------------------------------------------------------------------------------
// Output

#[test]
fn output_is_flushed_before_the_error_is_shown() {
    let dir = TempDir::new("flush");
    let script = dir.file(
        "flush.lisp",
        "(println \"line one\")\n(print \"partial\")\n(print \" more\")\n(undefined-thing)\n",
    );
    // stdout and stderr into the same file: the order in it is the order of the writes.
    let both = dir.path().join("both.txt");
    let file = std::fs::File::create(&both).unwrap();
    let mut cmd = polyglot(&[script.to_str().unwrap()]);
    cmd.stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file));
    let mut child = cmd.spawn().expect("start polyglot");
    let code = support::wait_with_timeout(&mut child, "flush");
    let text = std::fs::read_to_string(&both).unwrap();
    assert_eq!(code, 1, "{text}");
    let printed = text.find("line one\npartial more").expect(&text);
    let error = text.find("polyglot::eval::unbound").expect(&text);
    assert!(
        printed < error,
        "printed output must come before the diagnostic:\n{text}"
    );

    // And separately: all of it reaches stdout.
    let o = run(&[script.to_str().unwrap()]);
    assert_eq!(o.stdout, "line one\npartial more", "{}", o.show());
}

#[test]
fn eval_output_is_flushed_before_the_error_is_shown() {
    let o = run(&["-e", "(print \"no newline\") (undefined-thing)"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert_eq!(o.stdout, "no newline", "{}", o.show());
}

fn read_one_line_then_close(args: &[&str]) {
    let mut child = polyglot(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start polyglot");
    let stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut s);
        s
    });
    let mut first = String::new();
    {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
    } // stdout's read end is closed here
    let code = support::wait_with_timeout(&mut child, "broken pipe");
    let stderr = err_reader.join().unwrap();
    assert_eq!(first, "0\n");
    assert!(
        !stderr.contains("panicked"),
        "{args:?}: exit {code}, stderr:\n{stderr}"
    );
    // A closed pipe ends the program quietly with 141, as the shell reports SIGPIPE (128 + 13).
    assert_eq!(code, 141, "{args:?}: exit {code}, stderr:\n{stderr}");
    assert!(stderr.is_empty(), "{args:?}: quiet, but stderr:\n{stderr}");
}

#[test]
fn closed_stdout_pipe_does_not_panic() {
    let dir = TempDir::new("pipe");
    let script = dir.file("many.lisp", "(dotimes [i 100000] (println i))\n");
    read_one_line_then_close(&[script.to_str().unwrap()]);
    read_one_line_then_close(&["-e", "(dotimes [i 100000] (prn i)) (range 100000)"]);
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C outside the REPL

#[test]
fn ctrl_c_stops_a_script_with_exit_1() {
    let r = Pty::new(&["-e", "(println \"looping\") (loop [] (recur))"])
        .env("NO_COLOR", "1")
        .run(&[
            Step::Expect("looping"),
            Step::Sleep(0.3),
            Step::Send("\x03"),
            Step::Expect("KeyboardInterrupt"),
            Step::ExpectExit,
        ]);
    r.assert_ok();
    assert_eq!(r.exit(), Some("EXIT 1"), "{}", r.report);
    assert!(
        r.transcript().contains("polyglot::eval::interrupted"),
        "{}",
        r.report
    );
}

#[test]
fn timing_flag_prints_a_timing_line_after_a_script() {
    let o = run(&["--timing", "-e", "(+ 1 2)"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "3\n");
    assert!(o.stderr.starts_with("⏱ "), "{}", o.stderr);
    let quiet = run(&["-e", "(+ 1 2)"]);
    assert!(!quiet.stderr.contains('⏱'), "{}", quiet.stderr);
}
