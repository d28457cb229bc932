//! One worker process: started with the chosen Python on the runtime script, talking on two
//! dedicated pipes (its fds 3 and 4; its stdout stays the user's), supervised — it dies with
//! polyglot (`PR_SET_PDEATHSIG`), is only ever signalled by its own PID, is reaped, and when it
//! dies the cause (exit status or signal, last stderr line) is known.
//!
//! Reading a reply spins briefly before it blocks: on this kind of machine waking an idle vCPU
//! costs ~60 µs, several times a whole round trip. Requests can be queued and written together
//! ([`Worker::queue`], [`Worker::flush`]); a write that would block reads the worker's replies
//! meanwhile, so two full pipes never deadlock.

use super::codec::{self, Decoder, Val};
use std::io::{BufRead, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a reply is waited for by spinning before blocking.
pub const SPIN: Duration = Duration::from_micros(50);

/// The runtime, as source (written to a cache file the worker runs).
const RUNTIME: &str = include_str!("runtime.py");

pub struct Worker {
    child: Child,
    to_worker: OwnedFd,
    from_worker: OwnedFd,
    /// Frames queued, not written yet.
    out: Vec<u8>,
    queued: usize,
    /// `POLYGLOT_WORKER_RECORD=FILE`: every frame written is also appended there (what P9's
    /// in-process baseline replays).
    record: Option<std::fs::File>,
    decoder: Decoder,
    last_stderr: Arc<Mutex<String>>,
    /// Why it ended, once known.
    ended: Option<String>,
    /// It has sent at least one message (so it is a working Python running the runtime).
    pub answered: bool,
}

/// The worker is gone: why.
#[derive(Debug, Clone)]
pub struct Died(pub String);

/// Where the runtime script is written: the user's cache directory, else the temp directory.
fn runtime_path() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    // Named by a hash of its text: versions of polyglot side by side never share a file.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in RUNTIME.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    base.join("polyglot").join(format!("runtime-{h:016x}.py"))
}

/// Writes the runtime script if it is not there yet (atomically: write, then rename).
pub fn install_runtime() -> Result<PathBuf, String> {
    let path = runtime_path();
    if std::fs::read_to_string(&path).is_ok_and(|t| t == RUNTIME) {
        return Ok(path);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".runtime-{}.tmp", std::process::id()));
        std::fs::write(&tmp, RUNTIME)?;
        std::fs::rename(&tmp, &path)
    };
    match write() {
        Ok(()) => Ok(path),
        Err(_) => {
            // A read-only home: the temp directory.
            let alt = std::env::temp_dir().join(format!(
                "polyglot-{}-{}",
                unsafe { libc::getuid() },
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("runtime.py")
            ));
            std::fs::write(&alt, RUNTIME)
                .map_err(|e| format!("cannot write the worker runtime: {e}"))?;
            Ok(alt)
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let mut fds = [0; 2];
    // SAFETY: a valid array of two fds.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!(
            "cannot make a pipe: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl Worker {
    /// Starts a worker on `python`; `tag`: its stderr lines are forwarded prefixed with
    /// `[worker N]` (a pool worker; the home worker's stderr is the program's own).
    pub fn spawn(python: &Path, tag: Option<usize>) -> Result<Worker, String> {
        Worker::spawn_mode(python, &[], tag, &[])
    }

    /// Starts a Ray driver for one worker (`runtime.py --ray ADDRESS`, see ray.rs), with
    /// `env` added to its environment.
    pub fn spawn_ray(
        python: &Path,
        address: &str,
        tag: Option<usize>,
        env: &[(&str, &str)],
    ) -> Result<Worker, String> {
        Worker::spawn_mode(python, &["--ray", address], tag, env)
    }

    /// Starts the runtime in echo mode (it writes every frame back undecoded): the floor a
    /// request's round trip is measured against.
    pub fn spawn_echo(python: &Path) -> Result<Worker, String> {
        Worker::spawn_mode(python, &["--echo"], None, &[])
    }

    fn spawn_mode(
        python: &Path,
        mode: &[&str],
        tag: Option<usize>,
        env: &[(&str, &str)],
    ) -> Result<Worker, String> {
        let script = install_runtime()?;
        let (req_read, req_write) = pipe()?;
        let (rep_read, rep_write) = pipe()?;
        let (child_in, child_out) = (req_read.as_raw_fd(), rep_write.as_raw_fd());
        let mut cmd = Command::new(python);
        cmd.arg("-u")
            .arg(&script)
            .args(mode)
            .args(["3", "4"])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // The protocol's fds. The pipe ends may already sit on 3 or 4: move them out of
                // the way first (close-on-exec copies), then dup2, which clears close-on-exec.
                let a = libc::fcntl(child_in, libc::F_DUPFD_CLOEXEC, 10);
                let b = libc::fcntl(child_out, libc::F_DUPFD_CLOEXEC, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // Its own process group: a Ctrl-C at the terminal reaches polyglot, which
                // forwards it to the running call (never twice).
                libc::setpgid(0, 0);
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the worker ({}): {e}", python.display()))?;
        drop(req_read);
        drop(rep_write);
        // SAFETY: setting O_NONBLOCK on our own fds.
        unsafe {
            for fd in [rep_read.as_raw_fd(), req_write.as_raw_fd()] {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
        let last_stderr = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let last = last_stderr.clone();
            let prefix = tag.map_or(String::new(), |n| format!("[worker {n}] "));
            let _ = std::thread::Builder::new()
                .name("worker-stderr".into())
                .spawn(move || {
                    // Forwarded line by line; the last non-empty line is kept for crash reports.
                    for line in std::io::BufReader::new(err).lines() {
                        let Ok(line) = line else { break };
                        let _ = writeln!(std::io::stderr(), "{prefix}{line}");
                        if !line.trim().is_empty() {
                            *last.lock().unwrap_or_else(|e| e.into_inner()) = line;
                        }
                    }
                });
        }
        Ok(Worker {
            child,
            to_worker: req_write,
            from_worker: rep_read,
            out: Vec::new(),
            queued: 0,
            record: std::env::var_os("POLYGLOT_WORKER_RECORD")
                .filter(|_| mode.is_empty())
                .and_then(|p| {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .ok()
                }),
            decoder: Decoder::default(),
            last_stderr,
            ended: None,
            answered: false,
        })
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends one message (and any queued before it).
    pub fn send(&mut self, v: &Val) -> Result<(), Died> {
        self.queue(v)?;
        self.flush()
    }

    /// Queues a message, to be written by the next [`Worker::flush`].
    pub fn queue(&mut self, v: &Val) -> Result<(), Died> {
        if let Some(why) = &self.ended {
            return Err(Died(why.clone()));
        }
        codec::frame_into(v, &mut self.out)
            .map_err(|e| Died(format!("cannot encode a request: {e}")))?;
        self.queued += 1;
        Ok(())
    }

    /// Messages queued and not written yet, and their bytes.
    pub fn queued(&self) -> (usize, usize) {
        (self.queued, self.out.len())
    }

    /// Writes what is queued. While the pipe is full the worker's replies are read into the
    /// decoder (the worker may itself be blocked writing them).
    pub fn flush(&mut self) -> Result<(), Died> {
        let mut done = 0;
        let out = std::mem::take(&mut self.out);
        self.queued = 0;
        if let Some(f) = self.record.as_mut() {
            let _ = f.write_all(&out);
        }
        while done < out.len() {
            let fd = self.to_worker.as_raw_fd();
            // SAFETY: writing from our own buffer to our own fd.
            let n = unsafe { libc::write(fd, out[done..].as_ptr().cast(), out.len() - done) };
            if n > 0 {
                done += n as usize;
                continue;
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) => {
                    let mut p = [
                        libc::pollfd {
                            fd,
                            events: libc::POLLOUT,
                            revents: 0,
                        },
                        libc::pollfd {
                            fd: self.from_worker.as_raw_fd(),
                            events: libc::POLLIN,
                            revents: 0,
                        },
                    ];
                    // SAFETY: two valid pollfds.
                    unsafe { libc::poll(p.as_mut_ptr(), 2, 1000) };
                    if p[1].revents != 0 && !self.read_some()? {
                        return Err(self.died());
                    }
                }
                Some(libc::EINTR) => {}
                _ => return Err(self.died()),
            }
        }
        Ok(())
    }

    /// Reads what the worker has written so far into the decoder; false at EOF.
    fn read_some(&mut self) -> Result<bool, Died> {
        let mut buf = [0u8; 64 * 1024];
        let fd = self.from_worker.as_raw_fd();
        loop {
            // SAFETY: reading into our own buffer from our own fd.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                self.decoder.feed(&buf[..n as usize]);
                if (n as usize) < buf.len() {
                    return Ok(true);
                }
                continue;
            }
            if n == 0 {
                return Ok(false);
            }
            return match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EAGAIN) => Ok(true),
                Some(libc::EINTR) => continue,
                _ => Err(self.died()),
            };
        }
    }

    /// The next message if one has come (never waits).
    pub fn try_recv(&mut self) -> Result<Option<Val>, Died> {
        if let Some(v) = self.next_decoded()? {
            return Ok(Some(v));
        }
        if !self.read_some()? {
            return Err(self.died());
        }
        self.next_decoded()
    }

    fn next_decoded(&mut self) -> Result<Option<Val>, Died> {
        match self.decoder.next_message() {
            Some(Ok(v)) => {
                self.answered = true;
                Ok(Some(v))
            }
            Some(Err(e)) => {
                self.kill();
                Err(Died(format!("sent a frame that does not decode ({e})")))
            }
            None => Ok(None),
        }
    }

    /// The next message from the worker (waiting for it).
    pub fn recv(&mut self) -> Result<Val, Died> {
        let mut buf = [0u8; 64 * 1024];
        let mut spun_since: Option<Instant> = None;
        if !self.out.is_empty() {
            self.flush()?;
        }
        loop {
            match self.decoder.next_message() {
                Some(Ok(v)) => {
                    self.answered = true;
                    return Ok(v);
                }
                Some(Err(e)) => {
                    self.kill();
                    return Err(Died(format!("sent a frame that does not decode ({e})")));
                }
                None => {}
            }
            if let Some(why) = &self.ended {
                return Err(Died(why.clone()));
            }
            let fd = self.from_worker.as_raw_fd();
            // SAFETY: reading into our own buffer from our own fd.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                self.decoder.feed(&buf[..n as usize]);
                spun_since = None;
                continue;
            }
            if n == 0 {
                return Err(self.died());
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) => {
                    let start = *spun_since.get_or_insert_with(Instant::now);
                    if start.elapsed() < SPIN {
                        std::hint::spin_loop();
                        continue;
                    }
                    let mut p = libc::pollfd {
                        fd,
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd. A signal (Ctrl-C) ends the wait early: the
                    // loop simply reads again.
                    unsafe { libc::poll(&mut p, 1, 1000) };
                }
                Some(libc::EINTR) => {}
                _ => return Err(self.died()),
            }
        }
    }

    /// Kills the worker (its own PID only) and reaps it.
    pub fn kill(&mut self) {
        if self.ended.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.ended = Some("it was stopped".into());
        }
    }

    /// Asks the worker to exit normally (atexit handlers, flushed files), then reaps it.
    pub fn exit(&mut self) -> Option<i32> {
        if self.ended.is_some() {
            return None;
        }
        let _ = self.send(&Val::List(vec![Val::str("exit")]));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    self.ended = Some("it exited".into());
                    return s.code().filter(|c| *c != 0);
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => {
                    self.kill();
                    return None;
                }
            }
        }
    }

    /// The worker is gone (EOF or a broken pipe): reap it and say why.
    fn died(&mut self) -> Died {
        if let Some(why) = &self.ended {
            return Died(why.clone());
        }
        // The pipe closed; the process may take a moment to be gone.
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        // Let the stderr forwarder catch the last lines.
        std::thread::sleep(Duration::from_millis(20));
        let mut why = format!("process {}: ", self.child.id());
        why.push_str(&match status {
            Some(s) => describe_status(s),
            None => "it stopped answering".into(),
        });
        let last = self
            .last_stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if !last.is_empty() {
            why.push_str(&format!("; its last words: {last}"));
        }
        self.ended = Some(why.clone());
        Died(why)
    }
}

fn describe_status(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = s.signal() {
        let name = match sig {
            libc::SIGKILL => " (SIGKILL: killed, or out of memory)",
            libc::SIGSEGV => " (SIGSEGV: a crash in native code)",
            libc::SIGABRT => " (SIGABRT: aborted)",
            libc::SIGTERM => " (SIGTERM)",
            libc::SIGBUS => " (SIGBUS)",
            _ => "",
        };
        return format!("it was killed by signal {sig}{name}");
    }
    format!("it exited with status {}", s.code().unwrap_or(-1))
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}
