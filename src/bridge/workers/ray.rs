//! `--backend ray`: the pool's workers run as Ray actors. Each worker's process here is a Ray
//! *driver* (`runtime.py --ray ADDRESS`, see the end of runtime.py) that joins the cluster,
//! creates one actor, and forwards the protocol's bytes to the runtime the actor runs on its
//! node; everything else — routing, pipelining, handles, supervision — is the workers backend.
//!
//! Without `--ray-address` a local Ray is started here on demand ([`LocalRay`]): `ray start
//! --head --block` on 127.0.0.1 as a child in its own process group, its temp directory private
//! to this process, stopped at exit by SIGTERM to its own PID (never `ray stop`, which stops
//! every Ray of the machine), and sent SIGTERM by the kernel if polyglot dies first
//! (`PR_SET_PDEATHSIG`).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a local Ray may take to open its port (seconds; it took 0.6 s idle and up to 13 s
/// on a loaded machine here).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The environment every Ray process started for polyglot gets: servers and drivers bind
/// 127.0.0.1 (without it Ray 2.60 binds the address of the default route), and token
/// authentication is on with a token of this session's own, given to the head and its drivers
/// only (never written to `~/.ray`).
fn local_env(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0".into()),
        ("RAY_AUTH_MODE", "token".into()),
        ("RAY_AUTH_TOKEN", token.into()),
        ("RAY_USAGE_STATS_ENABLED", "0".into()),
    ]
}

/// A random token (128 bits from the kernel, as hex).
fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot make a Ray token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A local Ray head this process started.
pub struct LocalRay {
    child: Child,
    pub address: String,
    /// What its drivers need in their environment.
    pub env: Vec<(&'static str, String)>,
    temp: PathBuf,
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port for Ray: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port for Ray: {e}"))
}

impl LocalRay {
    /// Starts `ray start --head` with `python`'s Ray, for `cpus` CPUs, and waits until its
    /// port is open.
    pub fn start(python: &Path, cpus: usize) -> Result<LocalRay, String> {
        let started = Instant::now();
        let port = free_port()?;
        let env = local_env(&new_token()?);
        let temp = std::env::temp_dir().join(format!("polyglot-ray-{}", std::process::id()));
        let mut cmd = Command::new(python);
        cmd.args(["-m", "ray.scripts.scripts", "start", "--head", "--block"])
            .args(["--port", &port.to_string()])
            .args(["--node-ip-address", "127.0.0.1"])
            .args(["--num-cpus", &cpus.to_string()])
            .args(["--include-dashboard", "false", "--disable-usage-stats"])
            .arg("--temp-dir")
            .arg(&temp)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setpgid(0, 0);
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start Ray ({}): {e}", python.display()))?;
        let address = format!("127.0.0.1:{port}");
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let _ = std::fs::remove_dir_all(&temp);
                if err.contains("No module named ray") || err.contains("No module named 'ray'") {
                    return Err(format!(
                        "Ray is not installed in this Python environment ({}); install it with: {} -m pip install \"ray[default]\"",
                        python.display(),
                        python.display()
                    ));
                }
                let last = err
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                return Err(format!("the local Ray did not start ({status}): {last}"));
            }
            if std::net::TcpStream::connect_timeout(
                &([127, 0, 0, 1], port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                break;
            }
            if started.elapsed() > START_TIMEOUT {
                let mut r = LocalRay {
                    child,
                    address,
                    env,
                    temp,
                };
                r.stop();
                return Err(format!(
                    "the local Ray did not open its port within {} s",
                    START_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Its stderr is not read any more: let it go nowhere rather than fill a pipe.
        drop(child.stderr.take());
        Ok(LocalRay {
            child,
            address,
            env,
            temp,
        })
    }

    /// Stops it: SIGTERM to its own PID (it stops the processes it started), then, after a
    /// grace period, SIGKILL to its process group.
    pub fn stop(&mut self) {
        let pid = self.child.id() as i32;
        if matches!(self.child.try_wait(), Ok(None)) {
            // SAFETY: signalling our own child, reaped only below.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // SAFETY: the group is the head's own (setpgid above); whatever is left of it goes.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.temp);
    }
}

impl Drop for LocalRay {
    fn drop(&mut self) {
        self.stop();
    }
}
