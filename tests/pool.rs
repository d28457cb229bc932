//! The worker pool on the real binary (`--backend workers --workers N`): `pool-map` spreads
//! its calls over the workers with the same results as in-process; `py-exec` definitions
//! reach every worker, also one that starts later; `with-worker` pins; handles move between
//! workers by pickling, or the error says why they cannot; callbacks from a pool worker call
//! back into it; arrays are shared with every worker; a dead pool worker is restarted and
//! counted; `:workers` lists them; stderr of a pool worker is tagged; killing polyglot leaves
//! no worker behind.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{polyglot, run_with};

fn pool(n: usize, script: &str) -> support::Output {
    let n = n.to_string();
    run_with(
        polyglot(&["--backend", "workers", "--workers", &n, "-"]),
        Some(script),
    )
}

fn embedded(script: &str) -> support::Output {
    run_with(polyglot(&["-"]), Some(script))
}

const DEFS: &str = r#"(py-exec "import os\ndef work(n):\n    s = 0\n    for i in range(n):\n        s += i * i % 7\n    return s\ndef pid(_):\n    return os.getpid()")"#;

#[test]
fn pool_map_spreads_over_the_workers_with_in_process_results() {
    let script = format!(
        r#"{DEFS}
           (println (pool-map (py-eval "work") [1000 2000 3000 4000 5000]))
           (println (pool-map (fn [n] ((py-eval "work") (* n 2))) [10 20 30]))
           (println (pool-map (. ($py "math") sqrt) [1 4 9]))
           (println (pool-map + [1 2 3] [10 20 30]))"#
    );
    let w = pool(2, &script);
    let e = embedded(&script);
    assert_eq!(w.code, 0, "{}", w.show());
    assert_eq!(e.code, 0, "{}", e.show());
    assert_eq!(
        w.stdout,
        e.stdout,
        "workers:\n{}\nembedded:\n{}",
        w.show(),
        e.show()
    );
    let pids = pool(
        3,
        &format!(r#"{DEFS} (println (count (set (pool-map (py-eval "pid") (range 9)))))"#),
    );
    assert_eq!(pids.stdout, "3\n", "{}", pids.show());
}

#[test]
fn py_exec_definitions_reach_every_worker_also_later_ones() {
    let o = pool(
        2,
        r#"(py-exec "counter = 41\nprint('once')")
           (py-exec "counter += 1")
           (println (with-worker 1 (py-eval "counter")))
           (py-exec "def twice(x):\n    return 2 * x")
           (println (pool-map (py-eval "twice") [1 2 3 4]))
           (println (with-worker 1 (py-eval "counter")))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "once\n42\n[2 4 6 8]\n42\n", "{}", o.show());
}

#[test]
fn with_worker_pins_and_checks_its_number() {
    let o = pool(
        2,
        r#"(def pid (. ($py "os") getpid))
           (def home (pid))
           (println (= home (pid)))
           (println (= home (with-worker 0 (pid))))
           (println (= home (with-worker 1 (pid))))
           (println (try (with-worker 2 (pid)) (catch e (error-message e))))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(&lines[..3], ["true", "true", "false"], "{}", o.show());
    assert!(lines[3].contains("there are 2 workers"), "{}", o.show());
    // In-process both run, with the same results.
    let e = embedded(r#"(println (with-worker 3 (+ 1 2)) (pool-map inc [1 2]))"#);
    assert_eq!(e.stdout, "3 [2 3]\n", "{}", e.show());
}

#[test]
fn handles_move_between_workers_by_value_or_say_why_not() {
    let o = pool(
        2,
        r#"(def d (py-eval "{'a': 1, 'b': [2, 3]}"))
           (println (with-worker 1 ((py-eval "lambda d: d['b'][1] + os.getpid() * 0") d)))
           (def there (with-worker 1 (py-eval "{'made': 'on 1'}")))
           (println ((py-eval "lambda x, y: sorted(x) + sorted(y)") there d))
           (def get-a (py-eval "lambda d: d['a']"))
           (println (with-worker 1 (get-a d)))
           ((. d update) (py-eval "{'a': 2}"))
           (println (with-worker 1 (get-a d)))
           (def g (py-eval "(i for i in range(3))"))
           (println (try (with-worker 1 ((py-eval "list") g)) (catch e (error-message e))))"#
            .replace("os.getpid()", "__import__('os').getpid()")
            .as_str(),
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "3", "{}", o.show());
    assert_eq!(lines[1], "['made', 'a', 'b']", "{}", o.show());
    // A copy is a snapshot taken for the call: a change made since is seen by the next one.
    assert_eq!(&lines[2..4], ["1", "2"], "{}", o.show());
    assert!(
        lines[4].contains("lives on worker 0 and cannot move to worker 1")
            && lines[4].contains("cannot pickle 'generator' object"),
        "{}",
        o.show()
    );
}

#[test]
fn a_callback_from_a_pool_worker_calls_back_into_that_worker() {
    let o = pool(
        2,
        r#"(def pid (. ($py "os") getpid))
           (def on-1 (with-worker 1 (pid)))
           (println (with-worker 1 ((py-eval "lambda f: f(0)") (fn [_] (= on-1 (pid))))))
           (println (pool-map (py-eval "lambda f: f(3)") [(fn [x] (* x x)) (fn [x] (+ x x))]))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "true\n[9 6]\n", "{}", o.show());
}

#[test]
fn typed_arrays_are_shared_with_every_worker() {
    let o = pool(
        2,
        r#"(def a (float64array 1000))
           (def np ($py "numpy"))
           (with-worker 1 ((. np add at) (as-nd a [1000] "float64") 0 5.0))
           (with-worker 0 ((. np add at) (as-nd a [1000] "float64") 1 7.0))
           (println (aget a 0) (aget a 1))
           (println (pool-map (fn [i] (float ((. np sum) (as-nd a [1000] "float64")))) [0 1]))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "5.0 7.0\n[12.0 12.0]\n", "{}", o.show());
}

#[test]
fn a_failure_in_pool_map_is_the_first_in_item_order_and_the_session_goes_on() {
    let o = pool(
        2,
        r#"(py-exec "def check(x):\n    if x >= 3:\n        raise ValueError('bad item %d' % x)\n    return x")
           (println (try (pool-map (py-eval "check") [0 1 2 3 4 5]) (catch ValueError e (error-message e))))
           (println (pool-map (py-eval "check") [0 1 2]))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout, "bad item 3\n[0 1 2]\n", "{}", o.show());
}

#[test]
fn a_dead_pool_worker_fails_its_calls_and_restarts() {
    let o = pool(
        2,
        r#"(def pid (. ($py "os") getpid))
           (def first-pid (with-worker 1 (pid)))
           (println (try (with-worker 1 (py-exec "import os; os._exit(5)")) (catch e (error-message e))))
           (println (not= first-pid (with-worker 1 (pid))))
           (py-exec "x = 1")
           (println (with-worker 1 (py-eval "x")))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(
        lines[0].contains("worker 1") && lines[0].contains("exited with status 5"),
        "{}",
        o.show()
    );
    assert_eq!(&lines[1..], ["true", "1"], "{}", o.show());
}

#[test]
fn a_pool_worker_that_keeps_dying_young_is_restarted_with_a_backoff() {
    let o = pool(
        2,
        r#"(dotimes [i 4] (try (with-worker 1 (py-exec "import os; os._exit(1)")) (catch e nil)))
           (println (try (with-worker 1 (py-exec "import os; os._exit(1)")) (catch e (error-message e))))
           (println (with-worker 1 (py-eval "'up'")))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("soon after starting"), "{}", o.show());
    assert!(o.stdout.ends_with("up\n"), "{}", o.show());
}

#[test]
fn stderr_of_a_pool_worker_is_tagged_with_its_number() {
    let o = pool(
        2,
        r#"(py-exec "import sys")
           (py-eval "sys.stderr.write('from home\\n')")
           (with-worker 1 (py-eval "sys.stderr.write('from one\\n')"))
           (println "done")"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stderr.contains("from home\n"), "{}", o.show());
    assert!(!o.stderr.contains("] from home"), "{}", o.show());
    assert!(o.stderr.contains("[worker 1] from one\n"), "{}", o.show());
}

#[test]
fn the_repl_lists_the_workers() {
    use support::{Pty, Step, TempDir, PROMPT};
    let dir = TempDir::new("repl-pool");
    let r = Pty::new(&["--backend", "workers", "--workers", "2"])
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("HOME", dir.path().join("home"))
        .run(&[
            Step::Expect(PROMPT),
            Step::Send("(def xs (with-worker 1 (py-eval \"[1, 2]\")))\r"),
            Step::Expect(PROMPT),
            Step::Send(":workers\r"),
            Step::Expect("restarts"),
            Step::Expect("0 home"),
            Step::Expect("idle"),
            Step::Expect(PROMPT),
            Step::Send("\x04"),
            Step::ExpectExit,
        ]);
    support::assert_exit_0(&r);
    let t = r.transcript();
    let row1 = t
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap_or_default();
    assert!(row1.contains("idle"), "{}", r.report);
    // worker 1 holds the list: one handle.
    assert!(
        row1.split_whitespace().nth(4) == Some("1"),
        "{row1}\n{}",
        r.report
    );
}

fn proc_state(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default()
}

fn shm_entries() -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn killing_polyglot_leaves_no_worker_and_no_shared_memory() {
    let before = shm_entries();
    let mut child = polyglot(&[
        "--backend",
        "workers",
        "--workers",
        "3",
        "-e",
        r#"(def a (float64array 100000))
           (def pid (. ($py "os") getpid))
           (println (pool-map (fn [i] ((. ($py "numpy") sum) (as-nd a [100000] "float64")) (pid)) [0 1 2]))
           (py-exec "import time; time.sleep(60)")"#,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start polyglot");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).expect("read");
    let pids: Vec<i32> = line
        .trim()
        .trim_matches(['[', ']'])
        .split_whitespace()
        .map(|p| p.parse().expect("a pid"))
        .collect();
    assert_eq!(pids.len(), 3, "{line}");
    for p in &pids {
        assert!(!proc_state(*p).is_empty(), "worker {p} is not running");
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    for p in pids {
        while !proc_state(p).is_empty() && !proc_state(p).contains(") Z ") {
            assert!(
                Instant::now() < deadline,
                "worker {p} outlived polyglot: {}",
                proc_state(p)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // Shared memory is memfd (no name anywhere): nothing new in /dev/shm.
    let after = shm_entries();
    let new: Vec<&String> = after.iter().filter(|e| !before.contains(e)).collect();
    assert!(
        new.iter().all(|e| !e.contains("polyglot")),
        "left in /dev/shm: {new:?}"
    );
}

#[test]
fn ctrl_c_interrupts_the_calls_on_every_worker() {
    let mut child = polyglot(&[
        "--backend",
        "workers",
        "--workers",
        "2",
        "-e",
        r#"(py-exec "import time")
           (def pid (. ($py "os") getpid))
           (println (pool-map (fn [i] (pid)) [0 1]))
           (pool-map (py-eval "time.sleep") [30 30])
           (println "not reached")"#,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start polyglot");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).expect("read");
    assert_eq!(line.split_whitespace().count(), 2, "{line}");
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let code = support::wait_with_timeout(&mut child, "ctrl-c in pool-map");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 1);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("KeyboardInterrupt"), "{err}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(!rest.contains("not reached"), "{rest}");
}
