//! The worker of the browser build (`--backend pyodide`): the same runtime, in Pyodide, in the
//! Lisp's own Web Worker (or Node process) — no process, no pipes. It stands in for
//! `process.rs` on wasm32 with the same [`Worker`] API, so the workers backend above it (the
//! handle tables, steps, callbacks, output, errors) is one code for both.
//!
//! Crossing into Python is a synchronous call the embedder supplies ([`set_exchange`]): it
//! hands the runtime's `pump` the frames queued here and returns the frames it answered. While
//! a request runs, Python may need the host — a Lisp callback — and calls back out
//! (`host_exchange` in the embedder, which lands in [`host_exchange`] here): the innermost
//! wait of the workers backend ([`serving`]) serves those messages, and what it queued in reply
//! (the callback's `return`) goes back to Python as that call's result. A callback's own
//! requests cross into Python again, nested: both sides keep to one stack.

use super::codec::{self, Decoder, Val};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

/// The runtime's source: the embedder runs it in Pyodide (see `web/polyglot.mjs`).
pub const RUNTIME: &str = include_str!("runtime.py");

/// The embedder's crossing into Python: the frames for the runtime, the frames it answered.
pub type Exchange = fn(&[u8]) -> Vec<u8>;

/// What the host serves while Python waits for it: one message at a time.
type Server = dyn FnMut(Val) -> Result<(), String>;

thread_local! {
    static EXCHANGE: Cell<Option<Exchange>> = const { Cell::new(None) };
    static LINK: RefCell<Link> = RefCell::new(Link::default());
    static SERVERS: RefCell<Vec<*mut Server>> = const { RefCell::new(Vec::new()) };
}

/// Sets how to cross into Python (once, before the first request).
pub fn set_exchange(f: Exchange) {
    EXCHANGE.with(|e| e.set(Some(f)));
}

/// The one Python of the page: frames queued for it, and its answers as they decode.
#[derive(Default)]
struct Link {
    out: Vec<u8>,
    queued: usize,
    decoder: Decoder,
    /// Why the link broke (a frame that does not decode, a protocol error), once it has.
    broken: Option<String>,
}

/// The worker is gone: why.
#[derive(Debug, Clone)]
pub struct Died(pub String);

/// The page's Python, as the workers backend sees a worker process.
pub struct Worker {
    /// It has answered (always: the runtime is running before the first request).
    pub answered: bool,
}

/// Not used in the page (the runtime is loaded by the embedder): the runtime's source is
/// [`RUNTIME`].
pub fn install_runtime() -> Result<PathBuf, String> {
    Err("the browser build has no worker script to install".into())
}

fn with_link<R>(f: impl FnOnce(&mut Link) -> R) -> R {
    LINK.with(|l| f(&mut l.borrow_mut()))
}

fn next_decoded() -> Result<Option<Val>, Died> {
    with_link(|l| {
        if let Some(why) = &l.broken {
            return Err(Died(why.clone()));
        }
        match l.decoder.next_message() {
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(e)) => {
                let why = format!("the runtime sent a frame that does not decode ({e})");
                l.broken = Some(why.clone());
                Err(Died(why))
            }
            None => Ok(None),
        }
    })
}

impl Worker {
    /// The page's Python (the embedder started it); `python` and `tag` do not apply.
    pub fn spawn(_python: &Path, _tag: Option<usize>) -> Result<Worker, String> {
        if EXCHANGE.with(Cell::get).is_none() {
            return Err("Pyodide is not loaded: the embedder has not set up the runtime".into());
        }
        Ok(Worker { answered: true })
    }

    /// Another handle on the same Python (all its state is the page's).
    pub fn handle(&self) -> Worker {
        Worker {
            answered: self.answered,
        }
    }

    /// No process: 0.
    pub fn pid(&self) -> i32 {
        0
    }

    pub fn send(&mut self, v: &Val) -> Result<(), Died> {
        self.queue(v)
    }

    pub fn queue(&mut self, v: &Val) -> Result<(), Died> {
        with_link(|l| {
            codec::frame_into(v, &mut l.out)
                .map_err(|e| Died(format!("cannot encode a request: {e}")))?;
            l.queued += 1;
            Ok(())
        })
    }

    pub fn queued(&self) -> (usize, usize) {
        with_link(|l| (l.queued, l.out.len()))
    }

    /// Nothing to write: the queue crosses with the next [`Worker::recv`].
    pub fn flush(&mut self) -> Result<(), Died> {
        Ok(())
    }

    /// The next message already answered, if any (no crossing).
    pub fn try_recv(&mut self) -> Result<Option<Val>, Died> {
        next_decoded()
    }

    /// The next message: when none has come, the queue crosses into Python, which runs it
    /// to the end and answers.
    pub fn recv(&mut self) -> Result<Val, Died> {
        loop {
            if let Some(v) = next_decoded()? {
                return Ok(v);
            }
            let out = with_link(|l| {
                l.queued = 0;
                std::mem::take(&mut l.out)
            });
            if out.is_empty() {
                return Err(Died(
                    "the runtime has nothing more to answer (a protocol error)".into(),
                ));
            }
            let Some(exchange) = EXCHANGE.with(Cell::get) else {
                return Err(Died("Pyodide is not loaded".into()));
            };
            // Nothing of the link is borrowed here: Python may call back in.
            let reply = exchange(&out);
            with_link(|l| l.decoder.feed(&reply));
        }
    }

    /// The page's Python cannot be killed; it stays.
    pub fn kill(&mut self) {}

    /// Asks the runtime for its exit work (the `atexit` handlers, flushing output: what the
    /// messages then received say); the page's Python itself stays.
    pub fn exit(&mut self) -> Option<i32> {
        let _ = self.queue(&Val::List(vec![Val::str("exit")]));
        let _ = self.recv_all();
        None
    }

    /// Sends what is queued and reads every answer (none is expected).
    fn recv_all(&mut self) -> Result<(), Died> {
        let out = with_link(|l| {
            l.queued = 0;
            std::mem::take(&mut l.out)
        });
        if let (false, Some(exchange)) = (out.is_empty(), EXCHANGE.with(Cell::get)) {
            let reply = exchange(&out);
            with_link(|l| l.decoder.feed(&reply));
        }
        Ok(())
    }
}

/// Runs `during` (a wait for Python's answer) with `serve` as the server of whatever Python
/// sends while it needs the host.
pub fn serving<'a, R>(
    serve: &mut (dyn FnMut(Val) -> Result<(), String> + 'a),
    during: impl FnOnce() -> R,
) -> R {
    let p: *mut (dyn FnMut(Val) -> Result<(), String> + 'a) = serve;
    // SAFETY: the pointer is popped below, before `serve`'s borrow ends; only host_exchange
    // (called from inside `during`, on this thread) dereferences it.
    let p: *mut Server = unsafe {
        std::mem::transmute::<*mut (dyn FnMut(Val) -> Result<(), String> + 'a), *mut Server>(p)
    };
    SERVERS.with(|s| s.borrow_mut().push(p));
    let r = during();
    SERVERS.with(|s| s.borrow_mut().pop());
    r
}

/// Python needs the host (it called back out of a request): `data` is what it sent; the frames
/// the host queued in answer are returned.
pub fn host_exchange(data: &[u8]) -> Vec<u8> {
    with_link(|l| l.decoder.feed(data));
    let server = SERVERS.with(|s| s.borrow().last().copied());
    while let Ok(Some(msg)) = next_decoded() {
        let r = match server {
            // SAFETY: see `serving`: the server is alive while it is on the stack.
            Some(p) => unsafe { (*p)(msg) },
            None => Err("Python called the host while nothing waited for it".into()),
        };
        if let Err(why) = r {
            with_link(|l| l.broken = Some(why));
            break;
        }
    }
    with_link(|l| {
        l.queued = 0;
        std::mem::take(&mut l.out)
    })
}
