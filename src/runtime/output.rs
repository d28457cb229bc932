//! Where the program's output goes: an [`Output`] sink that the engine owns and the VM writes
//! to (`print`, `println`, `prn`, and, when captured, Python's `sys.stdout`/`sys.stderr`).
//! [`StdStreams`] is the terminal default; a kernel installs one that sends stream messages and
//! shows [`Display`]s, and tests install a [`Recorder`].

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// Which output stream a write belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A sink for program output. `Send + Sync`: Python threads may write to it too.
pub trait Output: Send + Sync {
    fn write(&self, stream: Stream, text: &str);
    /// Pushes out what is buffered (before Python writes to the same stream itself).
    fn flush(&self);
    /// Whether the last stdout write left a line without its newline (the REPL then starts a
    /// new line before showing a value).
    fn mid_line(&self) -> bool {
        false
    }
    /// True for the process's own stdout and stderr: Python then writes to them directly
    /// (in program order, since the Lisp flushes before every request) instead of through the
    /// sink.
    fn is_process_stdio(&self) -> bool {
        false
    }
    /// The first error writing or flushing stdout, if one happened (a closed pipe, a full
    /// disk). Stdout writes after it are dropped; `print`, `println` and `prn` fail with it, and
    /// the command line ends with it (status 141 for a closed pipe).
    fn error(&self) -> Option<std::io::Error> {
        None
    }
    /// Shows a rich display (a notebook's `display_data`). Returns false when the sink shows
    /// text only; the caller then prints the display's text form.
    fn display(&self, _display: &Display) -> bool {
        false
    }
    /// Whether [`Output::display`] shows rich output (else `display` prints text).
    fn shows_rich(&self) -> bool {
        false
    }
    /// Clears the output shown so far for the running cell (`wait`: when the next output
    /// arrives). Sinks without such output ignore it.
    fn clear(&self, _wait: bool) {}
}

/// A rich display: representations of one value, by MIME type, as a notebook shows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Display {
    /// The MIME bundle as JSON text: `{"data": {"text/plain": "...", "image/png": "<base64>"},
    /// "metadata": {...}}` (what a notebook's `display_data` carries).
    pub bundle: String,
    /// The display's name, when it can be updated later.
    pub id: Option<String>,
    /// This replaces the earlier display with the same `id`.
    pub update: bool,
}

/// The process's stdout and stderr. Stdout is line-buffered. The first stdout write error is
/// recorded ([`Output::error`]) and stdout writes stop there; stderr errors are ignored (there is
/// nowhere left to report them).
#[derive(Default)]
pub struct StdStreams {
    pending: AtomicBool,
    failed: OnceLock<WriteFailure>,
}

/// A recorded write error (`std::io::Error` is not `Clone`: keep what rebuilds it).
struct WriteFailure {
    os: Option<i32>,
    kind: std::io::ErrorKind,
    text: String,
}

impl StdStreams {
    fn record(&self, r: std::io::Result<()>) {
        if let Err(e) = r {
            let _ = self.failed.set(WriteFailure {
                os: e.raw_os_error(),
                kind: e.kind(),
                text: e.to_string(),
            });
            self.pending.store(false, Ordering::Relaxed);
        }
    }
}

impl Output for StdStreams {
    fn write(&self, stream: Stream, text: &str) {
        match stream {
            Stream::Stdout => {
                if self.failed.get().is_some() {
                    return;
                }
                let mut out = std::io::stdout().lock();
                let r = out.write_all(text.as_bytes());
                if r.is_err() {
                    self.record(r);
                } else if text.ends_with('\n') {
                    self.pending.store(false, Ordering::Relaxed);
                    self.record(out.flush());
                } else if !text.is_empty() {
                    self.pending.store(true, Ordering::Relaxed);
                }
            }
            Stream::Stderr => {
                self.flush();
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        }
    }

    fn flush(&self) {
        // Called before every Python request: a plain load first keeps the common case (nothing
        // pending) free of a locked read-modify-write.
        if self.pending.load(Ordering::Relaxed) && self.pending.swap(false, Ordering::Relaxed) {
            self.record(std::io::stdout().lock().flush());
        }
    }

    fn error(&self) -> Option<std::io::Error> {
        let f = self.failed.get()?;
        Some(match f.os {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(f.kind, f.text.clone()),
        })
    }

    fn mid_line(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }

    fn is_process_stdio(&self) -> bool {
        true
    }
}

/// Records every write, in order (for tests and embedders that want the text).
#[derive(Default)]
pub struct Recorder {
    writes: Mutex<Vec<(Stream, String)>>,
}

impl Recorder {
    /// Everything written to `stream`, concatenated.
    pub fn text(&self, stream: Stream) -> String {
        self.lock()
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    /// Every write in order, with its stream.
    pub fn writes(&self) -> Vec<(Stream, String)> {
        self.lock().clone()
    }

    /// Takes what was recorded so far, leaving the recorder empty.
    pub fn take(&self) -> Vec<(Stream, String)> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Stream, String)>> {
        // A writer that panicked mid-push left complete entries behind: keep using them.
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Output for Recorder {
    fn write(&self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut w = self.lock();
        match w.last_mut() {
            Some((s, t)) if *s == stream => t.push_str(text),
            _ => w.push((stream, text.to_string())),
        }
    }

    fn flush(&self) {}

    fn mid_line(&self) -> bool {
        self.lock()
            .iter()
            .rev()
            .find(|(s, _)| *s == Stream::Stdout)
            .is_some_and(|(_, t)| !t.ends_with('\n'))
    }
}
