// polyglot in a Web Worker or in Node: the Lisp (web/dist/polyglot.wasm, built from web/src
// by `make web`) with Python in Pyodide, joined here. Both run on this one thread: a Python
// call is a synchronous call into Pyodide, and a Lisp callback from Python a synchronous call
// back into the wasm module, nested on the same stack.
//
//   const pg = await createPolyglot({ wasm, pyodide, write, interruptBuffer, maxDepth });
//   pg.eval("(+ 1 2)")          -> { ok, values: ["3"], error, timing, handles }
//   pg.runScript(name, text, argv) -> exit status, output through `write` meanwhile
//   pg.complete(line, pos)      -> { start, items: [[shown, replacement], ...] }
//   pg.shutdown()               -> Python's exit work (atexit), as when a process ends
//
// `wasm`: the module's bytes (or a compiled WebAssembly.Module). `pyodide`: a loaded Pyodide.
// `write(stream, text)`: output, stream 1 (stdout) or 2 (stderr), in order. `interruptBuffer`:
// an Int32Array over a SharedArrayBuffer; storing 2 in it interrupts whatever runs, Python
// (Pyodide's setInterruptBuffer) or the Lisp (its loops poll it). `maxDepth`: the Lisp's call
// depth limit for the stack this thread has (see depthForStack). `attrCacheMs`: how long
// module and class attributes are cached (0: off; default: the native default).
// `maxCallbackNesting`: how deep Lisp functions called from Python may nest (0: no limit but
// Python's own); each level puts Pyodide's interpreter on the JS stack again.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Lisp calls that fit in a JS engine stack of `bytes`, with room to spare: one Lisp call takes
// at most 2 KiB of it in this build (measured: overflow at ~1,100 calls in Chromium's ~1 MiB
// worker stack, and at ~1,000 per MiB under Node).
export function depthForStack(bytes) {
  return Math.max(100, Math.floor(bytes / 2048));
}

// How deep Lisp calls can nest on this thread's JS stack: measured on a throwaway instance of
// the module (its memory is its own, so an overflow there breaks nothing that is kept), by
// recursing deeper and deeper until the JS engine says the stack is exhausted. The probe's
// body calls through `map` and a closure, heavier than most recursive code; use a fraction of
// the result as the limit (the page uses 60%). At most `limit`.
export async function measureDepth(wasm, { limit = 100000 } = {}) {
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const none = () => {
    throw new Error("no Python in the depth probe");
  };
  const { exports: ex } = await WebAssembly.instantiate(module, {
    polyglot: { py_exchange: none, py_take: none, write() {}, now_ms: () => performance.now(), interrupted: () => 0 },
  });
  if (ex.pg_start(0x7fffffff, 0xffffffff) !== 0) return 0;
  const run = (source) => {
    const bytes = encoder.encode(source);
    const ptr = ex.pg_alloc(bytes.length);
    new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
    ex.pg_eval(ptr, bytes.length, 0);
  };
  run("(defn probe (n) (if (= n 0) 0 (+ 1 (first (map (fn [x] (probe x)) [(- n 1)])))))");
  // Two nested calls per level: probe and the closure.
  let ok = 0;
  for (let levels = 64; 2 * levels <= limit; levels = Math.ceil(levels * 1.25)) {
    try {
      run(`(probe ${levels})`);
      ok = 2 * levels;
    } catch {
      return ok;
    }
  }
  return limit;
}

// Runs the runtime's source as the module `_polyglot_worker` (compiled as "<polyglot>", as a
// worker process does) and starts its page mode; returns its `pump`.
const BOOTSTRAP = `
import sys, types
def _polyglot_start(source, host_exchange, max_nesting):
    m = types.ModuleType('_polyglot_worker')
    m.__dict__['_SOURCE'] = source
    sys.modules['_polyglot_worker'] = m
    exec(compile(source, '<polyglot>', 'exec', dont_inherit=True), m.__dict__)
    return m.start_page(host_exchange, max_nesting or None)
_polyglot_start
`;

export async function createPolyglot({
  wasm,
  pyodide,
  write,
  interruptBuffer,
  maxDepth = 0,
  maxCallbackNesting = 0,
  attrCacheMs = 0xffffffff,
}) {
  let ex = null;
  let kept = null;
  const mem = (ptr, len) => new Uint8Array(ex.memory.buffer, ptr, len);
  const text = (ptr, len) => decoder.decode(mem(ptr, len));
  const answer = (len) => text(ex.pg_answer_ptr(), len);
  const withBytes = (bytes, f) => {
    const ptr = ex.pg_alloc(bytes.length);
    mem(ptr, bytes.length).set(bytes);
    try {
      return f(ptr, bytes.length);
    } finally {
      ex.pg_free(ptr, bytes.length);
    }
  };
  const withText = (s, f) => withBytes(encoder.encode(s), f);
  // Frames cross into Pyodide as strings of code points 0-255 (latin-1): several times faster
  // than a buffer, which needs a proxy each way.
  const frameString = (u) => {
    let s = "";
    for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192));
    return s;
  };
  const frameInto = (s, ptr) => {
    const m = mem(ptr, s.length);
    for (let i = 0; i < s.length; i++) m[i] = s.charCodeAt(i);
  };

  let pump = null;
  const imports = {
    polyglot: {
      py_exchange(ptr, len) {
        kept = pump(frameString(mem(ptr, len)));
        return kept.length;
      },
      py_take(ptr) {
        frameInto(kept, ptr);
        kept = null;
      },
      write(stream, ptr, len) {
        write(stream, text(ptr, len));
      },
      now_ms() {
        return performance.now();
      },
      interrupted() {
        if (interruptBuffer && Atomics.load(interruptBuffer, 0) === 2) {
          Atomics.store(interruptBuffer, 0, 0);
          return 1;
        }
        return 0;
      },
    },
  };
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const instance = await WebAssembly.instantiate(module, imports);
  ex = instance.exports;

  // Python calls the host (a Lisp callback) while a request runs.
  const hostExchange = (data) => {
    const ptr = ex.pg_alloc(data.length);
    frameInto(data, ptr);
    let n;
    try {
      n = ex.pg_host_exchange(ptr, data.length);
    } finally {
      ex.pg_free(ptr, data.length);
    }
    return frameString(mem(ex.pg_host_reply_ptr(), n));
  };
  const start = pyodide.runPython(BOOTSTRAP, { globals: pyodide.toPy({}) });
  pump = start(answer(ex.pg_runtime_source()), hostExchange, maxCallbackNesting);
  start.destroy();
  if (interruptBuffer) pyodide.setInterruptBuffer(interruptBuffer);

  if (ex.pg_start(maxDepth, attrCacheMs) !== 0) {
    throw new Error(`polyglot did not start: ${answer(ex.pg_answer_len())}`);
  }

  return {
    eval(source, { timing = false } = {}) {
      const n = withText(source, (p, l) => ex.pg_eval(p, l, timing ? 1 : 0));
      return JSON.parse(answer(n));
    },
    runScript(name, source, argv = []) {
      withText(argv.join("\0"), (p, l) => ex.pg_set_argv(p, l));
      return withText(name, (np, nl) => withText(source, (p, l) => ex.pg_run_script(np, nl, p, l)));
    },
    complete(line, pos = line.length) {
      const bytePos = encoder.encode(line.slice(0, pos)).length;
      const n = withText(line, (p, l) => ex.pg_complete(p, l, bytePos));
      return JSON.parse(answer(n));
    },
    shutdown() {
      return ex.pg_shutdown();
    },
    wasmBytes: ex.memory.buffer.byteLength,
  };
}
