//! The workers backend on the real binary: a worker that dies (exit, signal, crash) fails the
//! call with `WorkerDied` naming the cause and the session goes on with a new worker; old
//! handles are stale; Ctrl-C interrupts the worker's call, a second one kills it; workers die
//! with polyglot; Python's output reaches stdout in program order.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{polyglot, run_with};

fn workers(script: &str) -> support::Output {
    run_with(polyglot(&["--backend", "workers", "-"]), Some(script))
}

#[test]
fn a_worker_that_exits_fails_the_call_and_the_next_one_starts() {
    let o = workers(
        r#"(try (py-exec "import os; os._exit(3)")
             (catch e (println (error-type e)) (println (error-message e))))
           (println (py-eval "1 + 1"))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "WorkerDied", "{}", o.show());
    assert!(lines[1].contains("exited with status 3"), "{}", o.show());
    assert_eq!(lines[2], "2", "{}", o.show());
}

#[test]
fn a_crash_in_native_code_names_the_signal() {
    let o = workers(
        r#"(try (py-exec "import ctypes; ctypes.string_at(0)")
             (catch e (println (error-type e)) (println (error-message e))))
           (println (py-eval "'alive'"))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("WorkerDied"), "{}", o.show());
    assert!(o.stdout.contains("signal 11"), "{}", o.show());
    assert!(o.stdout.ends_with("alive\n"), "{}", o.show());
}

#[test]
fn handles_of_a_dead_worker_are_stale() {
    let o = workers(
        r#"(def xs (py-eval "[1, 2, 3]"))
           (println (count xs))
           (try (py-exec "import os; os.kill(os.getpid(), 9)") (catch e (println (error-type e))))
           (try (count xs) (catch e (println (error-message e))))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.starts_with("3\nWorkerDied\n"), "{}", o.show());
    assert!(o.stdout.contains("stale Python handle"), "{}", o.show());
}

#[test]
fn an_uncaught_worker_death_is_a_clear_diagnostic() {
    let o = workers(r#"(py-exec "import os; os._exit(7)")"#);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("WorkerDied"), "{}", o.show());
    let flat = o.stderr.replace("\n  | ", " ");
    assert!(flat.contains("exited with status 7"), "{}", o.show());
    assert!(!flat.contains("never answered"), "{}", o.show());
}

#[test]
fn python_output_and_lisp_output_keep_program_order() {
    let o = workers(
        r#"(println "a") (py-exec "print('b')") (println "c")
           (py-exec "import sys; print('e', file=sys.stderr)") (py-exec "print('d', end='')") (println)"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "a\nb\nc\nd\n", "{}", o.show());
    assert!(o.stderr.contains("e\n"), "{}", o.show());
}

#[test]
fn atexit_runs_in_the_worker_at_exit() {
    let o = workers(r#"(py-exec "import atexit; atexit.register(lambda: print('bye'))") 1"#);
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "bye\n", "{}", o.show());
}

/// Starts `polyglot --backend workers -e EXPR`, waits for `ready` on stdout, then returns it.
fn start(
    expr: &str,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    let mut child = polyglot(&["--backend", "workers", "-e", expr])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start polyglot");
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn read_line(out: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    out.read_line(&mut line).expect("read");
    line
}

#[test]
fn ctrl_c_interrupts_the_call_on_the_worker() {
    // `try` does not catch an interrupt (on any backend): the program ends with it, quickly.
    let (mut child, mut out) = start(
        r#"(println "ready")
           (py-exec "import time; time.sleep(30)")
           (println "not reached")"#,
    );
    assert_eq!(read_line(&mut out), "ready\n");
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let code = support::wait_with_timeout(&mut child, "ctrl-c");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 1);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("KeyboardInterrupt"), "{err}");
    assert!(err.contains("time.sleep(30)"), "{err}");
    assert_eq!(read_line(&mut out), "");
}

#[test]
fn a_second_ctrl_c_kills_a_worker_that_ignores_the_first() {
    let (mut child, mut out) = start(
        r#"(println "ready")
           (try (py-exec "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(30)")
                (catch e (println (error-type e))))
           (println (py-eval "6 * 7"))"#,
    );
    assert_eq!(read_line(&mut out), "ready\n");
    std::thread::sleep(Duration::from_millis(700));
    for _ in 0..2 {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(read_line(&mut out), "WorkerDied\n");
    assert_eq!(read_line(&mut out), "42\n");
    assert!(support::wait_with_timeout(&mut child, "double ctrl-c") == 0);
}

#[test]
fn workers_die_with_polyglot() {
    let (mut child, mut out) = start(
        r#"(println (py-eval "__import__('os').getpid()"))
           (py-exec "import time; time.sleep(60)")"#,
    );
    let pid: i32 = read_line(&mut out).trim().parse().expect("worker pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    let _ = child.kill();
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Gone, or at most a zombie waiting for init to reap it.
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z "),
        "worker {pid} outlived polyglot: {state}"
    );
}

#[test]
fn the_repl_shows_timing_and_handles_on_workers() {
    use support::{line, Pty, Step, TempDir, PROMPT};
    let dir = TempDir::new("repl-workers");
    let r = Pty::new(&["--backend", "workers"])
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("HOME", dir.path().join("home"))
        .run(&[
            Step::Expect(PROMPT),
            Step::Send("(def xs (py-eval \"[1, 2]\"))\r"),
            Step::Expect(PROMPT),
            Step::Send("(count xs)\r"),
            Step::ExpectRe(&line("2")),
            Step::Expect("1 request"),
            Step::Expect(PROMPT),
            Step::Send(":handles\r"),
            Step::Expect("list"),
            Step::Expect(PROMPT),
            Step::Send("\x04"),
            Step::ExpectExit,
        ]);
    support::assert_exit_0(&r);
    assert!(r.transcript().contains("[1, 2]"), "{}", r.report);
}

#[test]
fn typed_arrays_share_memory_with_the_worker() {
    // A million elements both ways, and `->lisp` of a view over the array gives the array's
    // own memory back (a write through it is seen everywhere).
    let o = workers(
        r#"(def a (float64array 1000000))
           (def nd (as-nd a [1000 1000] "float64"))
           ((. nd fill) 2.0)
           (println (aget a 999999))
           (aset! a 0 5.0)
           (println (get nd (py-eval "(0, 0)")))
           (def back (->lisp nd))
           (aset! back 1 7.0)
           (println (aget a 1) (get nd (py-eval "(0, 1)")))
           (println ((. ($py "numpy") sum) a))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "2.0\n5.0\n7.0 7.0\n2000008.0\n", "{}", o.show());
}

#[test]
fn ctrl_c_while_the_lisp_runs_ahead_of_a_call_interrupts_both() {
    // The sleep is pipelined; the Lisp goes on into a loop. One Ctrl-C stops the loop and the
    // sleep (the form waits for its calls before it ends).
    let (mut child, mut out) = start(
        r#"(println "ready")
           (do ((. ($py "time") sleep) 30)
               (loop [i 0] (recur (+ i 1))))"#,
    );
    assert_eq!(read_line(&mut out), "ready\n");
    std::thread::sleep(Duration::from_millis(700));
    let started = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let code = support::wait_with_timeout(&mut child, "ctrl-c");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("nterrupt"), "{err}");
}
