//! The REPL, driven through a real pseudo-terminal by `tests/support/pty_session.py`: evaluation,
//! multi-line input, errors, Ctrl-C (during an evaluation and at the prompt), Ctrl-D, commands
//! and the history file. Every session runs with `TERM=xterm`, `NO_COLOR=1`, and `HOME` and
//! `XDG_DATA_HOME` in a scratch directory. Run with `--nocapture` to see the Ctrl-C latency.

mod support;

use support::{assert_exit_0, line, Pty, Step, TempDir, PROMPT};

fn history_file(dir: &TempDir) -> std::path::PathBuf {
    dir.path().join("data/polyglot/history")
}

#[test]
fn evaluates_a_form() {
    let dir = TempDir::new("repl-eval");
    let three = line("3");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect("polyglot"),
        Step::Expect(PROMPT),
        Step::Send("(+ 1 2)\r"),
        Step::ExpectRe(&three),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    assert!(r.lines().iter().any(|l| l == "3"), "{}", r.report);
}

#[test]
fn multi_line_input_continues_until_the_form_closes() {
    let dir = TempDir::new("repl-multiline");
    let three = line("3");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(+ 1\r"),
        Step::Sleep(0.2),
        Step::Send("2)\r"),
        Step::ExpectRe(&three),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    assert!(
        !t.contains("polyglot::read"),
        "no read error for an open form:\n{}",
        r.report
    );
    // Nothing was evaluated after the first line: the first value shown is 3.
    let first_value = t.find("\n3\r").expect("a 3");
    let first_line = t.find("(+ 1").expect("the echo");
    assert!(first_line < first_value, "{}", r.report);
    assert!(
        !t.contains("\n1\r"),
        "`(+ 1` must not be evaluated on its own:\n{}",
        r.report
    );
}

#[test]
fn an_error_is_shown_and_the_repl_goes_on() {
    let dir = TempDir::new("repl-error");
    let forty_two = line("42");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(undefined-thing)\r"),
        Step::Expect("polyglot::eval::unbound"),
        Step::Expect("undefined-thing"),
        Step::Expect(PROMPT),
        Step::Send("(+ 40 2)\r"),
        Step::ExpectRe(&forty_two),
        Step::Send("(/ 1 0)\r"),
        Step::Expect("polyglot::"),
        Step::Expect(PROMPT),
        Step::Send("(str \"still\" \" here\")\r"),
        Step::ExpectRe(&line("\"still here\"")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    assert!(
        r.transcript().contains("unbound symbol `undefined-thing`"),
        "{}",
        r.report
    );
}

#[test]
fn a_read_error_is_shown_and_the_repl_goes_on() {
    let dir = TempDir::new("repl-read-error");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(+ 1 2))\r"),
        Step::ExpectRe(&line("3")),
        Step::Expect("polyglot::read"),
        Step::Expect(PROMPT),
        Step::Send("(* 6 7)\r"),
        Step::ExpectRe(&line("42")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

#[test]
fn ctrl_c_interrupts_an_infinite_loop() {
    let dir = TempDir::new("repl-ctrl-c");
    let forty_two = line("42");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(loop [] (recur))\r"),
        // The line editor has handed the terminal back (Ctrl-C is now SIGINT), and the loop has
        // had time to start.
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::StartClock,
        Step::Send("\x03"),
        Step::ExpectTimed("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("(+ 40 2)\r"),
        Step::ExpectRe(&forty_two),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let ms = r.elapsed_ms();
    assert_eq!(ms.len(), 1, "{}", r.report);
    println!(
        "Ctrl-C to KeyboardInterrupt: {:.1} ms (target: under 100 ms)",
        ms[0]
    );
    assert!(ms[0] < 5000.0, "Ctrl-C took {} ms:\n{}", ms[0], r.report);
    assert!(
        r.transcript().contains("polyglot::eval::interrupted"),
        "{}",
        r.report
    );
}

#[test]
fn ctrl_c_interrupts_a_loop_inside_a_function_and_state_survives() {
    let dir = TempDir::new("repl-ctrl-c-fn");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def kept 7)\r"),
        Step::Expect(PROMPT),
        Step::Send("(defn spin (n) (loop [i 0] (recur (+ i n))))\r"),
        Step::Expect(PROMPT),
        Step::Send("(spin 1)\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("(* kept 6)\r"),
        Step::ExpectRe(&line("42")),
        // A second interrupt works as well as the first.
        Step::Send("(spin 2)\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

/// Ctrl-C pressed right after Enter, before the evaluation has started, must not be lost. (No
/// pause after the keystrokes: Ctrl-C goes out as soon as the terminal leaves raw mode.)
#[test]
fn ctrl_c_right_after_enter_is_not_lost() {
    let dir = TempDir::new("repl-ctrl-c-race");
    for attempt in 0..20 {
        let r = Pty::repl(dir.path()).gap(0.0).run(&[
            Step::Expect(PROMPT),
            Step::Send("(loop [] (recur))\r"),
            Step::WaitCooked,
            Step::Send("\x03"),
            Step::Expect("KeyboardInterrupt"),
            Step::Expect(PROMPT),
            Step::Send("\x04"),
            Step::ExpectExit,
        ]);
        assert!(
            r.ok,
            "attempt {attempt}: the interrupt was lost\n{}",
            r.report
        );
    }
}

#[test]
fn ctrl_c_at_the_prompt_clears_the_line() {
    let dir = TempDir::new("repl-ctrl-c-prompt");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::WaitRaw,
        Step::Type("(+ 100"),
        Step::Send("\x03"),
        Step::Expect(PROMPT),
        Step::Send("(+ 2 3)\r"),
        Step::ExpectRe(&line("5")),
        // On an empty line too: Ctrl-C does not leave the REPL.
        Step::Expect(PROMPT),
        Step::WaitRaw,
        Step::Send("\x03"),
        Step::Expect(PROMPT),
        Step::Send("(+ 1 1)\r"),
        Step::ExpectRe(&line("2")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    assert!(
        !t.contains("polyglot::"),
        "no error: the half-typed line was dropped\n{}",
        r.report
    );
    assert!(
        !t.contains("\n105\r"),
        "`(+ 100` must not be evaluated\n{}",
        r.report
    );
    let history = std::fs::read_to_string(history_file(&dir)).unwrap_or_default();
    assert!(
        !history.contains("(+ 100"),
        "a cleared line is not history:\n{history}"
    );
}

#[test]
fn ctrl_d_exits_with_status_0() {
    let dir = TempDir::new("repl-ctrl-d");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::WaitRaw,
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

#[test]
fn sys_exit_ends_the_repl_with_its_status() {
    let dir = TempDir::new("repl-sys-exit");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(py-exec \"import atexit; atexit.register(lambda: print('bye'))\")\r"),
        Step::Expect(PROMPT),
        Step::Send("(py-exec \"import sys; sys.exit(3)\")\r"),
        Step::Expect("bye"),
        Step::ExpectExit,
    ]);
    r.assert_ok();
    assert_eq!(r.exit(), Some("EXIT 3"), "{}", r.report);
    assert!(!r.transcript().contains("SystemExit"), "{}", r.report);
}

#[test]
fn help_lists_the_commands_and_quit_exits() {
    let dir = TempDir::new("repl-help");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send(":help\r"),
        Step::Expect("Commands:"),
        Step::Expect(PROMPT),
        Step::Send(":nonsense\r"),
        Step::Expect("unknown command"),
        Step::Expect(PROMPT),
        Step::Send(":quit\r"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    let help = &t[t.find("Commands:").unwrap()..t.find("unknown command").unwrap()];
    for cmd in [":help", ":quit", ":time", ":doc"] {
        assert!(help.contains(cmd), ":help lacks {cmd}:\n{}", r.report);
    }
}

#[test]
fn short_quit_and_doc_and_time_commands() {
    let dir = TempDir::new("repl-commands");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send(":doc println\r"),
        Step::Expect("println: builtin"),
        Step::Expect(PROMPT),
        Step::Send(":time off\r"),
        Step::Expect("timing is off"),
        Step::Expect(PROMPT),
        Step::Send("(+ 1 2)\r"),
        Step::ExpectRe(&line("3")),
        Step::Expect(PROMPT),
        Step::Send(":time on\r"),
        Step::Expect("timing is on"),
        Step::Expect(PROMPT),
        Step::Send("(+ 2 2)\r"),
        Step::ExpectRe(&line("4")),
        Step::Expect("⏱"),
        Step::Expect(PROMPT),
        Step::Send(":q\r"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    let off = &t[t.find("timing is off").unwrap()..t.find("timing is on").unwrap()];
    assert!(
        !off.contains('⏱'),
        "no timing line after :time off:\n{}",
        r.report
    );
}

#[test]
fn history_file_is_written_and_read_back() {
    let dir = TempDir::new("repl-history");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(+ 1 2)\r"),
        Step::ExpectRe(&line("3")),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let path = history_file(&dir);
    let history = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no history file {}: {e}\n{}", path.display(), r.report));
    assert!(
        history.lines().any(|l| l == "(+ 1 2)"),
        "history:\n{history}"
    );

    // A new session recalls it with the Up arrow.
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::WaitRaw,
        Step::Send("\x1b[A"),
        Step::Sleep(0.2),
        Step::Send("\r"),
        Step::ExpectRe(&line("3")),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

/// `*1 *2 *3` hold the last values shown and `*e` the last error, as in Clojure's REPL.
#[test]
fn recent_values_and_the_last_error_are_bound() {
    let dir = TempDir::new("repl-recent");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(+ 1 1)\r"),
        Step::ExpectRe(&line("2")),
        Step::Send("(+ 1 2)\r"),
        Step::ExpectRe(&line("3")),
        Step::Send("[*1 *2]\r"),
        Step::ExpectRe(&line("[3 2]")),
        Step::Send("(/ 1 0)\r"),
        Step::Expect("ZeroDivisionError"),
        Step::Expect(PROMPT),
        Step::Send("(error-type *e)\r"),
        Step::ExpectRe(&line("\"ZeroDivisionError\"")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}
