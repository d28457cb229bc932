//! The Python bridge, tested on the real binary: Ctrl-C while Python runs (a sleep, a busy
//! loop, a Lisp callback inside a Python call), the REPL's handle display, timing line,
//! `:handles` and attribute completion, and choosing the Python environment (`--python`,
//! `$VIRTUAL_ENV`).
//!
//! The tests use the Python environment named by `VIRTUAL_ENV` (the Makefile exports the
//! project's `.venv`, which has NumPy). Run with `--nocapture` to see the Ctrl-C latencies.

mod support;

use support::{assert_exit_0, line, polyglot, run, run_with, Pty, Step, TempDir, PROMPT};

/// The Python environment the tests run with (the Makefile sets it to the project's venv).
fn venv() -> String {
    std::env::var("VIRTUAL_ENV").unwrap_or_else(|_| {
        panic!("set VIRTUAL_ENV to a Python 3.11 environment with numpy (make test does)")
    })
}

/// Ctrl-C while `slow` runs inside Python: measures the time until `KeyboardInterrupt` shows,
/// then checks that the REPL goes on and Python still answers.
fn interrupt_python(name: &str, slow: &str) -> f64 {
    let dir = TempDir::new(name);
    let slow_line = format!("{slow}\r");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        // Start Python first, so that the interrupt lands in `slow`, not in the start-up.
        Step::Send("(py-eval \"1 + 1\")\r"),
        Step::ExpectRe(&line("2")),
        Step::Expect(PROMPT),
        Step::Send(&slow_line),
        Step::WaitCooked,
        Step::Sleep(0.5),
        Step::StartClock,
        Step::Send("\x03"),
        Step::ExpectTimed("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("((. ($py \"math\") sqrt) 1764)\r"),
        Step::ExpectRe(&line("42.0")),
        Step::Expect(PROMPT),
        Step::Send("(py-eval \"6 * 7\")\r"),
        Step::ExpectRe(&line("42")),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    assert!(t.contains("polyglot::eval::interrupted"), "{}", r.report);
    let ms = r.elapsed_ms();
    assert_eq!(ms.len(), 1, "{}", r.report);
    assert!(
        ms[0] < 5000.0,
        "Ctrl-C took {} ms to interrupt `{slow}`:\n{}",
        ms[0],
        r.report
    );
    ms[0]
}

// ---------------------------------------------------------------------------------------------
// (a) Ctrl-C in Python

#[test]
fn ctrl_c_interrupts_time_sleep_in_python() {
    let ms = interrupt_python("py-ctrl-c-sleep", "((. ($py \"time\") sleep) 10)");
    println!("Ctrl-C during time.sleep(10) to KeyboardInterrupt: {ms:.1} ms");
}

#[test]
fn ctrl_c_interrupts_a_python_busy_loop() {
    let ms = interrupt_python("py-ctrl-c-busy", "(py-exec \"while True: pass\")");
    println!("Ctrl-C during a Python busy loop to KeyboardInterrupt: {ms:.1} ms");
}

#[test]
fn ctrl_c_interrupts_a_lisp_callback_inside_a_python_call() {
    let ms = interrupt_python(
        "py-ctrl-c-callback",
        "((. ($py \"builtins\") list) ((. ($py \"builtins\") map) (fn (x) (loop [] (recur))) [1]))",
    );
    println!("Ctrl-C during a Lisp loop called back from Python: {ms:.1} ms");
}

#[test]
fn ctrl_c_cancels_the_awaited_task_and_the_loop_goes_on() {
    let dir = TempDir::new("py-ctrl-c-await");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def asyncio ($py \"asyncio\"))\r"),
        Step::Expect(PROMPT),
        Step::Send("(def slow (asyncio.create-task (asyncio.sleep 30)))\r"),
        Step::Expect(PROMPT),
        Step::Send("(await slow)\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("((. slow cancelled))\r"),
        Step::ExpectRe(&line("true")),
        Step::Expect(PROMPT),
        Step::Send("(await (asyncio.sleep 0.01 \"still works\"))\r"),
        Step::ExpectRe(&line("\"still works\"")),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

#[test]
fn ctrl_c_interrupts_python_twice_in_one_session() {
    let dir = TempDir::new("py-ctrl-c-twice");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def time ($py \"time\"))\r"),
        Step::Expect(PROMPT),
        Step::Send("(py-eval \"0\")\r"),
        Step::ExpectRe(&line("0")),
        Step::Expect(PROMPT),
        Step::Send("(time.sleep 10)\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("(time.sleep 10)\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        // A KeyboardInterrupt is not caught by `try`: the user asked to stop.
        Step::Send("(try (time.sleep 10) (catch e \"caught\"))\r"),
        Step::WaitCooked,
        Step::Sleep(0.3),
        Step::Send("\x03"),
        Step::Expect("KeyboardInterrupt"),
        Step::Expect(PROMPT),
        Step::Send("(time.sleep 0)\r"),
        Step::ExpectRe(&line("nil")),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    assert!(!r.lines().iter().any(|l| l == "\"caught\""), "{}", r.report);
}

// ---------------------------------------------------------------------------------------------
// (b) Handles in the REPL, the timing line, :handles

#[test]
fn repl_shows_handles_timing_and_handles_command() {
    let dir = TempDir::new("py-repl-handles");
    let handle = r"^#<py numpy\.ndarray h\d+ array\(\[0\., 0\., 0\.\]\)>\r?$";
    let timing = r"^⏱ \S+ \S+ · python \S+ \S+ · bridge \S+ \S+ · \d+ requests?\r?$";
    let listed = r"^  h\d+ +numpy\.ndarray +array\(\[0\., 0\., 0\.\]\)\r?$";
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def np ($py \"numpy\"))\r"),
        Step::ExpectRe(&line("np")),
        Step::Expect(PROMPT),
        Step::Send("(np.zeros 3)\r"),
        Step::ExpectRe(handle),
        Step::ExpectRe(timing),
        Step::Expect(PROMPT),
        // `*1` (the last value shown) holds the array.
        Step::Send(":handles\r"),
        Step::ExpectRe(&line("1 live Python handle(s)")),
        Step::ExpectRe(listed),
        Step::Expect(PROMPT),
        // Three plain values push it out of `*1 *2 *3`: nothing is held any more.
        Step::Send("1\r"),
        Step::Expect(PROMPT),
        Step::Send("2\r"),
        Step::Expect(PROMPT),
        Step::Send("3\r"),
        Step::Expect(PROMPT),
        Step::Send(":handles\r"),
        Step::ExpectRe(&line("0 live Python handle(s)")),
        Step::Expect(PROMPT),
        Step::Send("(def z (np.zeros 3))\r"),
        Step::ExpectRe(&line("z")),
        Step::Expect(PROMPT),
        // println shows str(obj); the value itself (nil) is shown after it.
        Step::Send("(println z)\r"),
        Step::ExpectRe(&line("[0. 0. 0.]")),
        Step::ExpectRe(&line("nil")),
        Step::Expect(PROMPT),
        Step::Send(":handles\r"),
        Step::ExpectRe(&line("1 live Python handle(s)")),
        Step::ExpectRe(listed),
        Step::Expect(PROMPT),
        Step::Send("(def z nil)\r"),
        Step::Expect(PROMPT),
        Step::Send(":handles\r"),
        Step::ExpectRe(&line("0 live Python handle(s)")),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    // A form that does not touch Python has a timing line without the Python part.
    let t = r.transcript();
    let first = t.find("(def np").expect("the first input");
    let after = &t[first..];
    let timing_line = after
        .lines()
        .find(|l| l.starts_with('⏱'))
        .expect("a timing line");
    assert!(
        !timing_line.contains("python"),
        "a pure-Lisp form reports no Python time: {timing_line}\n{}",
        r.report
    );
}

#[test]
fn timing_line_counts_requests_and_can_be_turned_off() {
    let dir = TempDir::new("py-repl-timing");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def m ($py \"math\"))\r"),
        Step::Expect(PROMPT),
        Step::Send("(m.sqrt 4)\r"),
        Step::ExpectRe(&line("2.0")),
        Step::ExpectRe(r"· python .* · \d+ requests?\r?$"),
        Step::Expect(PROMPT),
        Step::Send("(dotimes [i 5] (m.sqrt i))\r"),
        Step::ExpectRe(&line("nil")),
        Step::ExpectRe(r"· python .* · \d+ requests\r?$"),
        Step::Expect(PROMPT),
        Step::Send(":time off\r"),
        Step::Expect("timing is off"),
        Step::Expect(PROMPT),
        Step::Send("(m.sqrt 9)\r"),
        Step::ExpectRe(&line("3.0")),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    let off = &t[t.find("timing is off").expect("the :time off answer")..];
    assert!(!off.contains('⏱'), "{}", r.report);
}

// ---------------------------------------------------------------------------------------------
// (c) Tab completion of attributes

#[test]
fn tab_completes_attributes_of_a_bound_module() {
    let dir = TempDir::new("py-repl-complete");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def np ($py \"numpy\"))\r"),
        Step::Expect(PROMPT),
        Step::Send("(np.zeros 1)\r"),
        Step::Expect("#<py numpy.ndarray"),
        Step::Expect(PROMPT),
        Step::WaitRaw,
        Step::Type("(np.li"),
        Step::Send("\t"),
        Step::Sleep(0.3),
        Step::Send("\t"),
        Step::Expect("linalg"),
        Step::Expect("linspace"),
        // The candidates are attributes; finish one and run it.
        Step::Sleep(0.2),
        Step::Type("nspace 0 1 3)"),
        Step::Send("\r"),
        Step::ExpectRe(r"^#<py numpy\.ndarray h\d+ array\(\[0\. , 0\.5, 1\. \]\)>\r?$"),
        Step::Expect(PROMPT),
        // A unique prefix completes in place.
        Step::WaitRaw,
        Step::Type("(np.lins"),
        Step::Send("\t"),
        Step::Sleep(0.3),
        Step::Type(" 0 1 2)"),
        Step::Send("\r"),
        Step::ExpectRe(r"^#<py numpy\.ndarray h\d+ array\(\[0\., 1\.\]\)>\r?$"),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
    let t = r.transcript();
    let listing = t
        .lines()
        .find(|l| l.contains("linalg") && l.contains("linspace"))
        .unwrap_or_else(|| panic!("a completion listing:\n{}", r.report));
    assert!(
        !listing.contains("zeros"),
        "only names starting with `li`: {listing}"
    );
}

#[test]
fn tab_completes_attributes_right_after_binding_a_module() {
    let dir = TempDir::new("py-repl-complete-fresh");
    let r = Pty::repl(dir.path()).run(&[
        Step::Expect(PROMPT),
        Step::Send("(def np ($py \"numpy\"))\r"),
        Step::Expect(PROMPT),
        Step::WaitRaw,
        Step::Type("(np.li"),
        Step::Send("\t"),
        Step::Sleep(0.3),
        Step::Send("\t"),
        Step::Expect("linspace"),
        Step::Send("\x03"),
        Step::Expect(PROMPT),
        Step::Send("\x04"),
        Step::ExpectExit,
    ]);
    assert_exit_0(&r);
}

// ---------------------------------------------------------------------------------------------
// (d) --python, and Python started only when needed

#[test]
fn a_bogus_python_path_is_a_clear_error_when_python_is_first_used() {
    let o = run(&[
        "--python",
        "/nonexistent/bin/python3",
        "-e",
        "(println \"before\") (py-eval \"1\")",
    ]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert_eq!(o.stdout, "before\n", "{}", o.show());
    assert!(
        o.stderr
            .contains("--python /nonexistent/bin/python3: no such file"),
        "{}",
        o.show()
    );
    assert!(o.stderr.contains("PythonUnavailable"), "{}", o.show());
    // It points at the form that needed Python.
    assert!(o.stderr.contains("<-e>:1:20"), "{}", o.show());

    // A script too, through a dotted call.
    let dir = TempDir::new("py-bogus-python");
    let script = dir.file(
        "uses-python.lisp",
        "(def m ($py \"math\"))\n(println \"bound lazily\")\n(println (m.sqrt 4))\n",
    );
    let o = run(&[
        "--python",
        "/nonexistent/bin/python3",
        script.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert_eq!(o.stdout, "bound lazily\n", "{}", o.show());
    assert!(o.stderr.contains("no such file"), "{}", o.show());
}

#[test]
fn pure_lisp_runs_with_a_bogus_python() {
    let o = run(&["--python", "/nonexistent/bin/python3", "-e", "(+ 1 2)"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "3\n", ""),
        "{}",
        o.show()
    );
    // Binding a module is lazy: it does not start Python either.
    let o = run(&[
        "--python",
        "/nonexistent/bin/python3",
        "-e",
        "(def np ($py \"numpy\")) (map inc [1 2])",
    ]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, "(2 3)\n", ""),
        "{}",
        o.show()
    );
    // The same with a $VIRTUAL_ENV that has no Python.
    let mut c = polyglot(&["-e", "(* 6 7)"]);
    c.env("VIRTUAL_ENV", "/nonexistent/venv");
    let o = run_with(c, None);
    assert_eq!((o.code, o.stdout.as_str()), (0, "42\n"), "{}", o.show());
}

#[test]
fn a_bogus_virtual_env_is_a_clear_error() {
    let mut c = polyglot(&["-e", "(py-eval \"1\")"]);
    c.env("VIRTUAL_ENV", "/nonexistent/venv");
    let o = run_with(c, None);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr
            .contains("$VIRTUAL_ENV is /nonexistent/venv, but it has no bin/python3"),
        "{}",
        o.show()
    );
}

#[test]
fn the_repl_starts_with_a_bogus_python_and_reports_it_on_use() {
    let dir = TempDir::new("py-repl-bogus");
    let r = Pty::new(&["--python", "/nonexistent/bin/python3"])
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("HOME", dir.path().join("home"))
        .run(&[
            Step::Expect(PROMPT),
            Step::Send("(+ 1 2)\r"),
            Step::ExpectRe(&line("3")),
            Step::Expect(PROMPT),
            Step::Send("(py-eval \"1\")\r"),
            Step::Expect("no such file"),
            Step::Expect(PROMPT),
            Step::Send("(* 6 7)\r"),
            Step::ExpectRe(&line("42")),
            Step::Send("\x04"),
            Step::ExpectExit,
        ]);
    assert_exit_0(&r);
}

// ---------------------------------------------------------------------------------------------
// (e) The environment: $VIRTUAL_ENV and --python

fn numpy_version_from(python: &str) -> String {
    let out = std::process::Command::new(python)
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "{python} cannot import numpy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn virtual_env_makes_numpy_importable() {
    let venv = venv();
    let want = format!(
        "\"{}\"\n",
        numpy_version_from(&format!("{venv}/bin/python"))
    );
    let mut c = polyglot(&["-e", "(. ($py \"numpy\") __version__)"]);
    c.env("VIRTUAL_ENV", &venv);
    let o = run_with(c, None);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (0, want.as_str(), ""),
        "{}",
        o.show()
    );
    // sys.prefix is the venv.
    let mut c = polyglot(&["-e", "(. ($py \"sys\") prefix)"]);
    c.env("VIRTUAL_ENV", &venv);
    let o = run_with(c, None);
    assert_eq!(o.stdout, format!("\"{venv}\"\n"), "{}", o.show());
}

#[test]
fn python_flag_selects_the_environment() {
    let venv = venv();
    let want = format!(
        "\"{}\"\n",
        numpy_version_from(&format!("{venv}/bin/python"))
    );
    // The venv's interpreter, and the venv directory itself, with $VIRTUAL_ENV unset.
    for python in [format!("{venv}/bin/python"), venv.clone()] {
        let mut c = polyglot(&["--python", &python, "-e", "(. ($py \"numpy\") __version__)"]);
        c.env_remove("VIRTUAL_ENV");
        let o = run_with(c, None);
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, want.as_str()),
            "--python {python}: {}",
            o.show()
        );
    }
    // --python wins over $VIRTUAL_ENV.
    let mut c = polyglot(&[
        "--python",
        &format!("{venv}/bin/python"),
        "-e",
        "(. ($py \"sys\") prefix)",
    ]);
    c.env("VIRTUAL_ENV", "/nonexistent/venv");
    let o = run_with(c, None);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, format!("\"{venv}\"\n").as_str()),
        "{}",
        o.show()
    );
}

// ---------------------------------------------------------------------------------------------
// Python output and the attribute cache TTL

#[test]
fn python_output_is_in_order_with_lisp_output_through_a_pipe() {
    let o = run(&[
        "-e",
        "(dotimes [i 200] (print \"L\") (py-exec \"print('P', end='')\")) (println) nil",
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(
        o.stdout,
        format!("{}\nnil\n", "LP".repeat(200)),
        "{}",
        o.show()
    );
}

#[test]
fn attr_cache_ttl_bounds_how_long_a_change_made_by_python_goes_unseen() {
    // A module attribute changed by Python code itself (not set! or py-exec) is seen once the
    // TTL has passed.
    let dir = TempDir::new("py-attr-ttl");
    let script = dir.file(
        "ttl.lisp",
        r#"(py-exec "import types, sys
m = types.ModuleType('m')
m.level = 1
sys.modules['m'] = m
def bump():
    m.level += 1")
(def m ($py "m"))
(def bump (py-eval "bump"))
(println m.level)
(bump)
((. ($py "time") sleep) 0.3)
(println m.level)
"#,
    );
    let o = run(&["--attr-cache-ttl", "100", script.to_str().unwrap()]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "1\n2\n"), "{}", o.show());
    // Within the TTL the cached value is used: that is what the cache is for.
    let o = run(&["--attr-cache-ttl", "600000", script.to_str().unwrap()]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "1\n1\n"), "{}", o.show());
}

#[test]
fn attr_cache_ttl_zero_sees_a_function_replaced_by_python_at_once() {
    let dir = TempDir::new("py-attr-ttl-site");
    let script = dir.file(
        "ttl-site.lisp",
        r#"(py-exec "import types, sys
m = types.ModuleType('m')
m.greet = lambda: 'old'
sys.modules['m'] = m
def replace():
    m.greet = lambda: 'new'")
(def m ($py "m"))
(def replace (py-eval "replace"))
(defn greet () (m.greet))
(println (greet))
(replace)
(println (greet))
"#,
    );
    let o = run(&["--attr-cache-ttl", "0", script.to_str().unwrap()]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "old\nnew\n"),
        "{}",
        o.show()
    );
}

#[test]
fn with_the_attribute_cache_off_a_call_and_its_chain_are_one_request() {
    // Import, getattr and the call fused: nothing is resolved apart when nothing is cached.
    let o = run(&[
        "--attr-cache-ttl",
        "0",
        "--timing",
        "-e",
        r#"((. ($py "math") sqrt) 4.0)"#,
    ]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "2.0\n"), "{}", o.show());
    assert!(o.stderr.contains("· 1 request"), "{}", o.show());
}

// ---------------------------------------------------------------------------------------------
// Regression tests for bugs found while writing this suite

#[test]
fn host_traceback_lists_the_python_frames() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = run_with(
        {
            let mut c = polyglot(&["tests/golden/py-errors-python-frames.lisp"]);
            c.current_dir(root);
            c
        },
        None,
    );
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr
            .contains("File \"<string>\", line 8, in parse_port")
            && o.stderr
                .contains("File \"<string>\", line 4, in check_range"),
        "{}",
        o.show()
    );
}

#[test]
fn lazy_chains_are_values_in_lisp_arithmetic() {
    let o = run(&[
        "-e",
        "(def math ($py \"math\")) [(+ math.pi 1) (number? math.pi) (= math.pi 3.141592653589793) (type-of math.pi)]",
    ]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "[4.141592653589793 true true \"float\"]\n"),
        "{}",
        o.show()
    );
}

#[test]
fn printing_a_failing_chain_is_an_error() {
    let o = run(&["-e", "(println (. ($py \"math\") nope))"]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("AttributeError"), "{}", o.show());
    assert!(!o.stdout.contains("#<py error"), "{}", o.show());
}

#[test]
fn a_python_error_inside_a_callback_keeps_its_class() {
    let o = run(&[
        "-e",
        "(def b ($py \"builtins\")) \
         (try (b.list (b.map (fn (s) (b.int s)) [\"x\"])) \
           (catch ValueError e (error-type e)) \
           (catch e (str \"wrong class: \" (error-type e))))",
    ]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "\"ValueError\"\n"),
        "{}",
        o.show()
    );
}
