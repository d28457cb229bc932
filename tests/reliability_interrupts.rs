//! Ctrl-C in the REPL, through the real binary in a pseudo-terminal: while a huge value is being
//! printed, while Python code runs outside a request (a `__repr__` that never returns), after
//! user code installed its own Python SIGINT handler; and TAB completion that must never run
//! user code that could hang the line editor. Each test is named after the class it guards.

mod support;

use support::{assert_exit_0, line, Pty, Step, TempDir, PROMPT};

#[test]
fn interrupts_stop_printing_a_huge_value() {
    let dir = TempDir::new("rel-int-print");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(vec (range 20000000))\r"),
        // The value is being written to the terminal (interrupt at once: the test's driver is
        // slow to scan megabytes of transcript).
        Step::Expect("[0 1 2 3 4 5"),
        Step::StartClock,
        Step::Send("\x03"),
        Step::ExpectTimed("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("(+ 40 2)\r"),
        Step::ExpectRe(&line("42")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    for ms in r.elapsed_ms() {
        assert!(ms < 10_000.0, "printing stopped only after {ms} ms");
    }
    // Far from all of it was written.
    assert!(
        !r.transcript().contains("19999999]"),
        "the whole value was printed"
    );
}

#[test]
fn interrupts_reach_lisp_loops_after_python_installs_a_sigint_handler() {
    let dir = TempDir::new("rel-int-pyhandler");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send(
            "(py-exec \"import signal\\nhits = []\\nsignal.signal(signal.SIGINT, lambda s, f: hits.append(s))\")\r",
        ),
        Step::Expect(PROMPT),
        // Give the watcher time to notice the replaced handler.
        Step::Sleep(0.5),
        Step::Send("(loop [] (recur))\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        // Python's handler still runs for a Ctrl-C that arrives while Python code runs.
        Step::Send("(py-exec \"import time\\nend = time.time() + 1.5\\nwhile time.time() < end and not hits: pass\")\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect(PROMPT),
        Step::Send("(py-eval \"len(hits) > 0\")\r"),
        Step::ExpectRe(&line("true")),
        // And a second Lisp loop is interrupted too.
        Step::Send("(loop [i 0] (recur (inc i)))\r"),
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

const SLOW_REPR: &str = "(py-exec \"class Slow:\\n def __repr__(self):\\n  while True: pass\")\r";

/// Printing calls `__repr__` outside a request. Ctrl-C reaches it once the embedded backend
/// marks Python as running while it describes a handle (`describe` in src/bridge/embedded/mod.rs, wrapped like `request` with
/// `IN_PYTHON` set).
#[test]
fn interrupts_reach_a_repr_that_never_returns() {
    let dir = TempDir::new("rel-int-repr1");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send(SLOW_REPR),
        Step::Expect(PROMPT),
        Step::Send("((py-eval \"Slow\"))\r"),
        Step::WaitCooked,
        Step::Sleep(0.5),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

#[test]
fn interrupts_never_needed_for_tab_completion_of_user_objects() {
    let dir = TempDir::new("rel-int-tab");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send(
            "(py-exec \"class Hang:\\n def __dir__(self):\\n  while True: pass\\n def ping(self): return 7\\n @property\\n def stuck(self):\\n  while True: pass\")\r",
        ),
        Step::Expect(PROMPT),
        Step::Send("(def h ((py-eval \"Hang\")))\r"),
        Step::Expect(PROMPT),
        Step::WaitRaw,
        // `h.` completes from the class (its `__dir__` is user code and is not run).
        Step::Type("(h.pi"),
        Step::Send("\t"),
        Step::Sleep(0.5),
        Step::Type(")"),
        Step::Send("\r"),
        Step::ExpectRe(&line("7")),
        Step::Expect(PROMPT),
        // A path through a property is not run either.
        Step::WaitRaw,
        Step::Type("(h.stuck.x"),
        Step::Send("\t"),
        Step::Sleep(0.5),
        Step::Send("\x03"),
        Step::Expect(PROMPT),
        Step::Send("(+ 40 2)\r"),
        Step::ExpectRe(&line("42")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}
