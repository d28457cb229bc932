//! polyglot in the browser: the whole Lisp (reader, compiler, VM, interop) as a wasm32 module,
//! with Python in Pyodide through the workers backend's runtime (`--backend pyodide`). This
//! crate is only the glue: a C ABI of byte buffers that `web/polyglot.mjs` drives.
//!
//! What crosses is bytes: UTF-8 text (source, output, a JSON answer) and frames of the workers
//! protocol (docs/protocol.md), so no bindings generator is needed. JS calls the `pg_*`
//! exports; the module imports five functions from JS (module `polyglot`):
//!
//! - `py_exchange(ptr, len) -> len`: hands frames to the runtime's `pump` in Pyodide and keeps
//!   its answer; `py_take(ptr)` copies that answer into memory the module allocated;
//! - `write(stream, ptr, len)`: output (1 stdout, 2 stderr), in order;
//! - `now_ms() -> f64`: `performance.now()` (wasm32 has no clock of its own);
//! - `interrupted() -> u32`: 1 once after the page's interrupt button (the shared interrupt
//!   buffer Pyodide also watches), else 0.
//!
//! While a request runs, Python calls back into the Lisp through the embedder, which calls
//! [`pg_host_exchange`] here (re-entrantly: the request's wait is still on the stack).

#![cfg(target_arch = "wasm32")]

use polyglot::diagnostics::RenderOptions;
use polyglot::engine::BackendKind;
use polyglot::interop::display::json_string;
use polyglot::{Engine, EngineConfig, Output, Show, Stream};
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

#[link(wasm_import_module = "polyglot")]
extern "C" {
    fn py_exchange(ptr: *const u8, len: usize) -> usize;
    fn py_take(ptr: *mut u8);
    fn write(stream: u32, ptr: *const u8, len: usize);
    fn now_ms() -> f64;
    fn interrupted() -> u32;
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    /// The last answer for JS to read (`pg_answer_ptr`/`pg_answer_len`).
    static ANSWER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The host's frames for Python, answering a `pg_host_exchange` (read with
    /// `pg_host_reply_ptr`/`_len`; a separate buffer, since an answer may be pending).
    static HOST_REPLY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn exchange(frames: &[u8]) -> Vec<u8> {
    // SAFETY: the imports read `len` bytes at `ptr` and write the kept answer's bytes into a
    // buffer of exactly its length.
    unsafe {
        let n = py_exchange(frames.as_ptr(), frames.len());
        let mut reply = vec![0u8; n];
        if n > 0 {
            py_take(reply.as_mut_ptr());
        }
        reply
    }
}

fn clock() -> f64 {
    // SAFETY: an import without arguments.
    unsafe { now_ms() }
}

fn poll_interrupt() -> bool {
    // SAFETY: an import without arguments.
    unsafe { interrupted() != 0 }
}

/// Output as the page (or Node) shows it: buffered per stream, written in order.
struct PageOutput {
    buf: Mutex<(u32, String, bool)>,
}

impl PageOutput {
    fn emit(stream: u32, text: &str) {
        if !text.is_empty() {
            // SAFETY: the import reads `len` bytes at `ptr`.
            unsafe { write(stream, text.as_ptr(), text.len()) };
        }
    }
}

fn stream_number(s: Stream) -> u32 {
    match s {
        Stream::Stdout => 1,
        Stream::Stderr => 2,
    }
}

impl Output for PageOutput {
    fn write(&self, stream: Stream, text: &str) {
        let n = stream_number(stream);
        let Ok(mut b) = self.buf.lock() else { return };
        if b.0 != n && !b.1.is_empty() {
            let pending = std::mem::take(&mut b.1);
            PageOutput::emit(b.0, &pending);
        }
        b.0 = n;
        b.1.push_str(text);
        if n == 1 {
            b.2 = !text.is_empty() && !text.ends_with('\n');
        }
        if b.1.len() >= 8192 || n == 2 {
            let pending = std::mem::take(&mut b.1);
            PageOutput::emit(n, &pending);
        }
    }

    fn flush(&self) {
        let Ok(mut b) = self.buf.lock() else { return };
        let pending = std::mem::take(&mut b.1);
        PageOutput::emit(b.0, &pending);
    }

    fn mid_line(&self) -> bool {
        self.buf.lock().map(|b| b.2).unwrap_or(false)
    }
}

fn set_answer(bytes: Vec<u8>) -> usize {
    let n = bytes.len();
    ANSWER.with(|a| *a.borrow_mut() = bytes);
    n
}

/// Memory for JS to write into (source text, Python's answers).
#[no_mangle]
pub extern "C" fn pg_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len.max(1));
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Frees what [`pg_alloc`] gave.
///
/// # Safety
/// `ptr` and `len` are one earlier `pg_alloc`'s.
#[no_mangle]
pub unsafe extern "C" fn pg_free(ptr: *mut u8, len: usize) {
    drop(Vec::from_raw_parts(ptr, 0, len.max(1)));
}

unsafe fn text_at(ptr: *const u8, len: usize) -> String {
    let bytes = std::slice::from_raw_parts(ptr, len);
    String::from_utf8_lossy(bytes).into_owned()
}

#[no_mangle]
pub extern "C" fn pg_answer_ptr() -> *const u8 {
    ANSWER.with(|a| a.borrow().as_ptr())
}

#[no_mangle]
pub extern "C" fn pg_answer_len() -> usize {
    ANSWER.with(|a| a.borrow().len())
}

/// The runtime's Python source, which the embedder runs in Pyodide before the first request
/// (an answer: read it with `pg_answer_ptr`/`pg_answer_len`).
#[no_mangle]
pub extern "C" fn pg_runtime_source() -> usize {
    set_answer(
        polyglot::bridge::workers::inpage::RUNTIME
            .as_bytes()
            .to_vec(),
    )
}

/// Starts the session: the prelude, and Python (Pyodide) on first use. `max_depth`: the
/// Lisp's call-depth limit, which the embedder sets from the stack it has (0: the default).
/// `attr_cache_ms`: how long module and class attributes are cached (`u32::MAX`: the
/// default; 0 turns the cache off, as a benchmark of whole chains wants). 0 on success;
/// otherwise the error's text is the answer.
#[no_mangle]
pub extern "C" fn pg_start(max_depth: u32, attr_cache_ms: u32) -> u32 {
    // A panic aborts the module (wasm has no unwinding): say where first.
    std::panic::set_hook(Box::new(|info| {
        PageOutput::emit(2, &format!("polyglot: internal error: {info}\n"));
    }));
    polyglot::clock::set_source(clock);
    polyglot::runtime::interrupt::set_poll(poll_interrupt);
    polyglot::bridge::workers::inpage::set_exchange(exchange);
    let mut config = EngineConfig {
        backend: BackendKind::Pyodide,
        ..EngineConfig::default()
    };
    if attr_cache_ms != u32::MAX {
        config.attr_cache_ttl = std::time::Duration::from_millis(attr_cache_ms.into());
    }
    match Engine::new(config) {
        Ok(mut e) => {
            e.set_output(Arc::new(PageOutput {
                buf: Mutex::new((1, String::new(), false)),
            }));
            if max_depth > 0 {
                e.vm.max_depth = max_depth as usize;
            }
            ENGINE.with(|slot| *slot.borrow_mut() = Some(e));
            0
        }
        Err(e) => {
            set_answer(e.message.clone().into_bytes());
            1
        }
    }
}

/// `*argv*` for a script: the arguments, NUL-separated UTF-8.
///
/// # Safety
/// `ptr` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pg_set_argv(ptr: *const u8, len: usize) {
    let text = text_at(ptr, len);
    let args: Vec<String> = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\0').map(str::to_string).collect()
    };
    ENGINE.with(|slot| {
        if let Some(e) = slot.borrow_mut().as_mut() {
            e.set_argv(&args);
        }
    });
}

/// Runs a script as `polyglot FILE` does: output as it goes, an uncaught error rendered on
/// stderr; the exit status. `name` and the text are at `name_ptr` and `ptr`.
///
/// # Safety
/// Both pointers point to as many readable bytes as their lengths say.
#[no_mangle]
pub unsafe extern "C" fn pg_run_script(
    name_ptr: *const u8,
    name_len: usize,
    ptr: *const u8,
    len: usize,
) -> i32 {
    let name = text_at(name_ptr, name_len);
    let text = text_at(ptr, len);
    ENGINE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let Some(engine) = slot.as_mut() else {
            return 2;
        };
        let out = engine.eval_with(&name, &text, Show::Nothing, &mut |_, _| {});
        match &out.result {
            Ok(_) => 0,
            Err(e) => {
                engine.output().flush();
                if let Some(status) = engine.exit_status(e) {
                    status
                } else {
                    let text = engine.render(e, &RenderOptions::plain());
                    engine.output().write(Stream::Stderr, &text);
                    engine.output().flush();
                    1
                }
            }
        }
    })
}

/// Ends the session as a process ending does: Python's exit work (`atexit` handlers), output
/// flushed. The status shutdown asks for (0 normally).
#[no_mangle]
pub extern "C" fn pg_shutdown() -> i32 {
    let engine = ENGINE.with(|slot| slot.borrow_mut().take());
    engine.and_then(Engine::shutdown).unwrap_or(0)
}

/// Evaluates a REPL entry: every form, each value shown as the terminal REPL shows it. The
/// answer is JSON: `{"ok": bool, "values": [...], "error": text, "timing": text,
/// "handles": [[index, type, repr], ...]}`. Output goes out through `write` meanwhile.
///
/// # Safety
/// `ptr` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pg_eval(ptr: *const u8, len: usize, timing: u32) -> usize {
    let text = text_at(ptr, len);
    let answer = ENGINE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let Some(engine) = slot.as_mut() else {
            return r#"{"ok":false,"values":[],"error":"the session has not started","timing":"","handles":[]}"#.to_string();
        };
        engine.set_timing(timing != 0);
        let mut shown = Vec::new();
        let out = engine.eval_with("<input>", &text, Show::Each, &mut |_, p| {
            shown.push(json_string(p));
        });
        let error = match &out.result {
            Ok(_) => String::new(),
            Err(e) => {
                engine.output().flush();
                engine.render(e, &RenderOptions::plain())
            }
        };
        let handles: Vec<String> = engine
            .handles()
            .into_iter()
            .map(|(i, t, r)| format!("[{i},{},{}]", json_string(&t), json_string(&r)))
            .collect();
        format!(
            r#"{{"ok":{},"values":[{}],"error":{},"timing":{},"handles":[{}]}}"#,
            out.result.is_ok(),
            shown.join(","),
            json_string(&error),
            json_string(&out.timing.line()),
            handles.join(",")
        )
    });
    set_answer(answer.into_bytes())
}

/// Completions for `line` with the cursor at byte `pos`: JSON `{"start": n, "items":
/// [[shown, replacement], ...]}`.
///
/// # Safety
/// `ptr` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pg_complete(ptr: *const u8, len: usize, pos: usize) -> usize {
    let line = text_at(ptr, len);
    let answer = ENGINE.with(|slot| {
        let slot = slot.borrow();
        let Some(engine) = slot.as_ref() else {
            return r#"{"start":0,"items":[]}"#.to_string();
        };
        let mut pos = pos.min(line.len());
        while !line.is_char_boundary(pos) {
            pos -= 1;
        }
        let (start, items) = engine.completions().complete(&line, pos);
        let items: Vec<String> = items
            .iter()
            .map(|(show, word)| format!("[{},{}]", json_string(show), json_string(word)))
            .collect();
        format!(r#"{{"start":{start},"items":[{}]}}"#, items.join(","))
    });
    set_answer(answer.into_bytes())
}

/// Python needs the host while a request runs (a Lisp callback): `ptr` holds the frames it
/// sent. Returns the length of the frames the host answered (read with `pg_host_reply_ptr`).
///
/// # Safety
/// `ptr` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pg_host_exchange(ptr: *const u8, len: usize) -> usize {
    let data = std::slice::from_raw_parts(ptr, len).to_vec();
    let reply = polyglot::bridge::workers::inpage::host_exchange(&data);
    let n = reply.len();
    HOST_REPLY.with(|r| *r.borrow_mut() = reply);
    n
}

#[no_mangle]
pub extern "C" fn pg_host_reply_ptr() -> *const u8 {
    HOST_REPLY.with(|r| r.borrow().as_ptr())
}
