//! Pending values on the workers backend, on the real binary: calls go out without waiting and
//! still run in program order; a pending value used as an argument or target is resolved by the
//! worker; failures surface at the failing form (even when nothing used the value) and nothing
//! after a failing call runs — every script here prints exactly what it prints embedded.
//! `(batch ...)` goes out as one message (checked on the frames the worker was sent).

mod support;

use polyglot::bridge::workers::codec::{Decoder, Val};
use support::{polyglot, run_with};

fn on(backend: &str, args: &[&str], script: &str) -> support::Output {
    let mut all = vec!["--backend", backend];
    all.extend_from_slice(args);
    all.push("-");
    run_with(polyglot(&all), Some(script))
}

/// Runs `script` on both backends; the outputs must be the same. The workers one is returned.
fn same_on_both(script: &str) -> support::Output {
    same_on_both_with(&[], script)
}

fn same_on_both_with(args: &[&str], script: &str) -> support::Output {
    let e = on("embedded", &[], script);
    let w = on("workers", args, script);
    assert_eq!(
        (&e.stdout, &e.stderr, e.code),
        (&w.stdout, &w.stderr, w.code),
        "embedded:\n{}\nworkers:\n{}",
        e.show(),
        w.show()
    );
    w
}

#[test]
fn unused_calls_run_in_program_order() {
    let o = same_on_both(
        r#"(def calls (py-eval "[]"))
           (dotimes [i 2000] ((. calls append) i))
           (println (count calls) (py-eval "sum(range(2000))"))
           (println (= (vec (range 2000)) (->lisp calls)))"#,
    );
    assert_eq!(o.stdout, "2000 1999000\ntrue\n", "{}", o.show());
}

#[test]
fn pending_values_are_arguments_and_targets_without_waiting() {
    let o = same_on_both(
        r#"(def make (py-eval "lambda: [3, 1, 2]"))
           (def xs (make))
           (def n ((py-eval "len") xs))
           ((. xs sort))
           (def first-item ((. xs __getitem__) 0))
           (println n first-item (->lisp xs))
           (def s ((. ((py-eval "lambda: 'a,b,c'")) split) ","))
           (println (->lisp s))"#,
    );
    assert_eq!(o.stdout, "3 1 [1 2 3]\n[a b c]\n", "{}", o.show());
}

#[test]
fn a_failing_call_nobody_uses_is_the_forms_error_and_nothing_after_it_runs() {
    let o = same_on_both(
        r#"(println "before")
           (do ((py-eval "lambda: 1/0"))
               ((. ($py "builtins") print) "not printed")
               (println "not printed either"))
           (println "never")"#,
    );
    assert_eq!(o.stdout, "before\n", "{}", o.show());
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("ZeroDivisionError"), "{}", o.show());
    // Shown at the call that failed.
    assert!(
        o.stderr.contains(r#"((py-eval "lambda: 1/0"))"#),
        "{}",
        o.show()
    );
}

#[test]
fn try_catches_a_pipelined_failure_and_a_lisp_error_after_it_is_not_the_one_raised() {
    let o = same_on_both(
        r#"(println (try ((py-eval "lambda: 1/0")) (catch e (str "caught " (error-type e)))))
           (println (try (do ((py-eval "lambda: int('x')")) (car 5))
                      (catch e (error-type e))))
           (def bad (try ((py-eval "lambda: {}['k']")) (catch e :failed)))
           (println bad)
           (println (py-eval "'the session goes on'"))"#,
    );
    assert_eq!(
        o.stdout,
        "caught ZeroDivisionError\nValueError\n:failed\nthe session goes on\n",
        "{}",
        o.show()
    );
}

#[test]
fn a_value_made_after_a_failure_raises_that_failure_when_used() {
    let o = same_on_both(
        r#"(def a nil)
           (try (do ((py-eval "lambda: 1/0")) (set! a ((py-eval "lambda: 5"))))
                (catch e (println "first:" (error-type e))))
           (println "a is" (if (nil? a) "unset" "set"))
           (println (+ 1 ((py-eval "lambda: 41"))))"#,
    );
    assert_eq!(
        o.stdout,
        "first: ZeroDivisionError\na is unset\n42\n",
        "{}",
        o.show()
    );
}

#[test]
fn python_and_lisp_output_interleave_in_program_order() {
    let o = same_on_both(
        r#"(def pr (. ($py "builtins") print))
           (dotimes [i 3] (pr "py" i) (println "lisp" i))
           (def f (py-eval "lambda g: g(2)"))
           (dotimes [i 3] (f (fn [x] (println "callback" x))))
           (println "end")"#,
    );
    assert_eq!(
        o.stdout,
        "py 0\nlisp 0\npy 1\nlisp 1\npy 2\nlisp 2\ncallback 2\ncallback 2\ncallback 2\nend\n",
        "{}",
        o.show()
    );
}

#[test]
fn tests_and_lisp_operations_wait_for_the_value() {
    let o = same_on_both(
        r#"(def falsy (py-eval "lambda: False"))
           (println (if (falsy) "true" "false") (and (falsy) 1) (or (falsy) "or"))
           (def none (py-eval "lambda: None"))
           (println (nil? (none)) (when (none) "no"))
           (println (* 2 ((py-eval "lambda: 21"))) (str ((py-eval "lambda: 'x'")) "y"))"#,
    );
    assert_eq!(
        o.stdout,
        "false false or\ntrue nil\n42 xy\n",
        "{}",
        o.show()
    );
}

#[test]
fn a_worker_that_dies_with_calls_in_flight_fails_them_and_the_session_goes_on() {
    let o = on(
        "workers",
        &[],
        r#"(def sleep (. ($py "time") sleep))
           (try (do (dotimes [i 20] (sleep 0.001)) ((. ($py "os") _exit) 3) (sleep 0.001))
                (catch e (println (error-type e))))
           (println (py-eval "1 + 1"))"#,
    );
    assert_eq!(o.stdout, "WorkerDied\n2\n", "{}", o.show());
    assert_eq!(o.code, 0, "{}", o.show());
}

#[test]
fn backpressure_bounds_the_calls_in_flight() {
    let o = same_on_both_with(
        &["--max-inflight", "2"],
        r#"(def calls (py-eval "[]"))
           (dotimes [i 500] ((. calls append) i))
           (println (count calls))"#,
    );
    assert_eq!(o.stdout, "500\n", "{}", o.show());
}

/// The messages in a file of frames.
fn messages(bytes: &[u8]) -> Vec<Val> {
    let mut d = Decoder::default();
    d.feed(bytes);
    let mut out = Vec::new();
    while let Some(m) = d.next_message() {
        out.push(m.expect("recorded frames decode"));
    }
    out
}

#[test]
fn a_batch_is_one_message() {
    let dir = std::env::temp_dir().join(format!("polyglot-batch-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let mut cmd = polyglot(&["--backend", "workers", "-"]);
    cmd.env("POLYGLOT_WORKER_RECORD", &dir);
    let o = run_with(
        cmd,
        Some(
            r#"(def calls (py-eval "[]"))
               (def add (. calls append))
               (batch (dotimes [i 50] (add i)))
               (println (count calls))"#,
        ),
    );
    assert_eq!(o.stdout, "50\n", "{}", o.show());
    let msgs = messages(&std::fs::read(&dir).expect("the frames were recorded"));
    let _ = std::fs::remove_file(&dir);
    let batches: Vec<&Val> = msgs
        .iter()
        .filter(|m| m.items().first().and_then(Val::as_str) == Some("batch"))
        .collect();
    assert_eq!(batches.len(), 1, "{msgs:?}");
    // Its requests, as whole frames.
    let Val::Bytes(frames) = &batches[0].items()[1] else {
        panic!("a batch carries its frames: {:?}", batches[0]);
    };
    let runs = messages(frames);
    assert_eq!(runs.len(), 50, "{runs:?}");
    assert!(runs
        .iter()
        .all(|r| r.items().first().and_then(Val::as_str) == Some("run")));
}
