//! `--backend ray` on the real binary against real Ray: a local Ray started by polyglot on
//! demand (pool examples give the in-process output, a killed actor fails its call and the
//! session goes on, Ctrl-C interrupts the call, nothing Ray is left after polyglot ends or is
//! killed), and a cluster started by the test with `ray start --head` on 127.0.0.1 that two
//! sessions use at once and that a subset of the golden files runs on. Ray tests run one at a
//! time (each Ray takes seconds and hundreds of MB), and every Ray started here is stopped,
//! also when a test fails.

mod support;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{polyglot, run_with};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn venv_python() -> String {
    let venv = std::env::var("VIRTUAL_ENV").expect("VIRTUAL_ENV (make test sets it)");
    format!("{venv}/bin/python")
}

/// Processes whose command line mentions `needle` (Ray's processes all name their temp dir).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let state = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        if cmd.contains(needle) && !state.contains(") Z ") {
            out.push(format!(
                "{name}: {}",
                cmd.chars().take(120).collect::<String>()
            ));
        }
    }
    out
}

/// Waits until no process mentions `needle` (a polyglot's Ray temp dir).
fn assert_ray_gone(needle: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left = processes_mentioning(needle);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "Ray processes left: {left:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn ray_session(script: &str) -> support::Output {
    run_with(
        polyglot(&["--backend", "ray", "--workers", "2", "-"]),
        Some(script),
    )
}

const POOL_EXAMPLE: &str = r#"
(py-exec "def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
print('defined')")
(def steps (py-eval "collatz_steps"))
(prn (pool-map steps (range 1 12)))
(prn (pool-map (fn (n) (+ 1 (steps n))) [27 97]))
(prn (with-worker 1 (steps 871)))
(def d (py-eval "{'a': [1, 2]}"))
(prn (with-worker 1 ((py-eval "lambda d: len(d['a'])") d)))
(prn (with-worker 1 ((py-eval "lambda f: f(20)") (fn (x) (* 2 x)))))
(def a (float64array [1 2 3]))
((. (as-nd a [3] "float64") fill) 4)
(prn a)
(prn (try (pool-map (py-eval "lambda x: 10 // x") [5 0 1]) (catch ZeroDivisionError e (error-type e))))
"#;

#[test]
fn pool_examples_give_the_in_process_output_and_no_ray_is_left() {
    let _one = serial();
    let started = Instant::now();
    let child = polyglot(&["--backend", "ray", "--workers", "2", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start polyglot");
    let pid = child.id();
    let o = {
        use std::io::Write;
        let mut child = child;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(POOL_EXAMPLE.as_bytes())
            .unwrap();
        let out = child.wait_with_output().expect("polyglot");
        support::Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    };
    let e = run_with(polyglot(&["-"]), Some(POOL_EXAMPLE));
    assert_eq!(e.code, 0, "{}", e.show());
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(
        o.stdout,
        e.stdout,
        "ray:\n{}\nembedded:\n{}",
        o.show(),
        e.show()
    );
    eprintln!("a session with a local Ray: {:?}", started.elapsed());
    assert_ray_gone(&format!("polyglot-ray-{pid}"), Duration::from_secs(20));
}

#[test]
fn a_killed_actor_fails_its_call_and_the_session_goes_on() {
    let _one = serial();
    let o = ray_session(
        r#"(def pid (. ($py "os") getpid))
           (def first (pid))
           (try (py-exec "import os, signal; os.kill(os.getppid(), signal.SIGKILL)")
                (catch e (println (error-type e)) (println (error-message e))))
           (println (not= first (pid)))
           (println (py-eval "6 * 7"))"#,
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "WorkerDied", "{}", o.show());
    assert!(lines[1].contains("worker 0"), "{}", o.show());
    assert!(
        lines[1].contains("Actor") || lines[1].contains("actor"),
        "the cause names the actor: {}",
        o.show()
    );
    assert_eq!(&lines[2..], ["true", "42"], "{}", o.show());
}

fn start(args: &[&str], expr: &str) -> (Child, std::io::BufReader<std::process::ChildStdout>) {
    let mut all = args.to_vec();
    all.extend(["-e", expr]);
    let mut child = Command::new(support::BIN)
        .args(&all)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start polyglot");
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

#[test]
fn ctrl_c_interrupts_the_call_and_killing_polyglot_stops_its_ray() {
    let _one = serial();
    let (mut child, mut out) = start(
        &["--backend", "ray", "--workers", "1"],
        r#"(println (py-eval "'ready'"))
           (py-exec "import time; time.sleep(60)")
           (println "not reached")"#,
    );
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let code = support::wait_with_timeout(&mut child, "ctrl-c on ray");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(code, 1);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("KeyboardInterrupt"), "{err}");
    assert_ray_gone(
        &format!("polyglot-ray-{}", child.id()),
        Duration::from_secs(20),
    );

    // SIGKILL: polyglot cannot clean up; its Ray stops anyway.
    let (mut child, mut out) = start(
        &["--backend", "ray", "--workers", "2"],
        r#"(println (pool-map (fn (i) (py-eval "1")) [0 1]))
           (py-exec "import time; time.sleep(60)")"#,
    );
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "[1 1]\n");
    let needle = format!("polyglot-ray-{}", child.id());
    assert!(!processes_mentioning(&needle).is_empty());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    assert_ray_gone(&needle, Duration::from_secs(30));
}

/// A Ray cluster started by the test (`ray start --head --block` on 127.0.0.1, token auth with
/// a token of the test's own), stopped when dropped, also when the test fails.
struct Cluster {
    head: Child,
    address: String,
    token: String,
    temp: std::path::PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let temp = std::env::temp_dir().join(format!("pg-ray-test-{}", std::process::id()));
        let token = format!(
            "{:032x}",
            std::process::id() as u128 * 0x9e37_79b9_7f4a_7c15
        );
        let head = Command::new(venv_python())
            .args(["-m", "ray.scripts.scripts", "start", "--head", "--block"])
            .args([
                "--port",
                &port.to_string(),
                "--node-ip-address",
                "127.0.0.1",
            ])
            .args(["--num-cpus", "2", "--include-dashboard", "false"])
            .args(["--disable-usage-stats", "--temp-dir"])
            .arg(&temp)
            .env("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
            .env("RAY_AUTH_MODE", "token")
            .env("RAY_AUTH_TOKEN", &token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ray start");
        let c = Cluster {
            head,
            address: format!("127.0.0.1:{port}"),
            token,
            temp,
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the test's Ray did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    fn session(&self, args: &[&str]) -> Command {
        let mut all = vec!["--backend", "ray", "--ray-address", &self.address];
        all.extend(args);
        let mut c = polyglot(&all);
        c.env("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
            .env("RAY_AUTH_MODE", "token")
            .env("RAY_AUTH_TOKEN", &self.token);
        c
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SAFETY: signalling our own child (its own SIGTERM handler stops the processes it
        // started).
        unsafe { libc::kill(self.head.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.head.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.head.kill();
        let _ = self.head.wait();
        let needle = self.temp.to_string_lossy().into_owned();
        for p in processes_mentioning(&needle) {
            if let Some(pid) = p.split(':').next().and_then(|p| p.parse::<i32>().ok()) {
                // SAFETY: a process of the test's own Ray.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        let _ = std::fs::remove_dir_all(&self.temp);
    }
}

/// Golden files run on a cluster (a subset: each session joins the cluster, a second or two):
/// the interop forms, callbacks, errors, pipelining and the pool.
const GOLDEN_SUBSET: &[&str] = &[
    "pool-map",
    "py-callbacks",
    "py-callback-errors",
    "py-catch",
    "py-batch",
    "py-iteration",
    "py-kwargs",
    "py-stdout-order",
];

#[test]
fn two_sessions_share_a_cluster_and_golden_files_match_in_process() {
    let _one = serial();
    let cluster = Cluster::start();
    // Two sessions at once against the same cluster.
    let script = r#"(py-exec "x = 20") (println (+ 1 (py-eval "x * 2"))) (println (pool-map (fn (i) (py-eval "x")) [0 1]))"#;
    let spawn = || {
        let mut c = cluster.session(&["--workers", "2", "-e", script]);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().expect("start polyglot")
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().expect("polyglot");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert_eq!(stdout, "41\n[20 20]\nnil\n", "{stderr}");
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in GOLDEN_SUBSET {
        let file = format!("tests/golden/{name}.lisp");
        let run = |mut c: Command| {
            let out = c.arg(&file).current_dir(root).output().expect("polyglot");
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
                out.status.code(),
            )
        };
        let embedded = run(polyglot(&[]));
        let ray = run(cluster.session(&["--workers", "2"]));
        assert_eq!(ray, embedded, "{file} differs on ray");
    }
}

#[test]
fn without_ray_the_error_says_how_to_install_it() {
    let _one = serial();
    // A Python without Ray: the interpreter the venv was made from, when it has none.
    let base = Command::new(venv_python())
        .args(["-c", "import sys; print(sys.base_prefix + '/bin/python3')"])
        .output()
        .expect("python");
    let python = String::from_utf8_lossy(&base.stdout).trim().to_string();
    let has_ray = Command::new(&python)
        .args(["-c", "import ray"])
        .stderr(Stdio::null())
        .status()
        .map_or(true, |s| s.success());
    if has_ray {
        eprintln!("skipped: {python} has Ray");
        return;
    }
    let o = run_with(
        polyglot(&[
            "--backend",
            "ray",
            "--python",
            &python,
            "-e",
            "(py-eval \"1\")",
        ]),
        None,
    );
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("Ray is not installed") && o.stderr.contains("pip install"),
        "{}",
        o.show()
    );
}
