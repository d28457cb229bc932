// The page's module Web Worker: the Lisp (polyglot.wasm) and Python (Pyodide) run here, on one
// thread, so calls between them are synchronous; the page (page.mjs) only shows what comes.
//
// From the page: {type: "start", interrupt: Int32Array over a SharedArrayBuffer}, then
// {type: "eval", id, source, timing} and {type: "complete", id, line, pos}. To the page:
// {type: "ready", ...}, {type: "output", id, stream, text} while an evaluation runs, then
// {type: "result", id, ok, values, error, timing, handles, ms}.

import { createPolyglot, measureDepth } from "./polyglot.mjs";
import { loadPyodide } from "./pyodide/pyodide.mjs";

// The depth limit: 60% of the nesting this worker's JS stack was measured to hold (Chromium
// gives a dedicated worker about 1 MiB: the simplest recursion overflows it at 600-800 calls).
const DEPTH_SHARE = 0.6;

let pg = null;
let current = 0;

async function start(interrupt) {
  const t0 = performance.now();
  const [pyodide, wasm] = await Promise.all([
    loadPyodide({
      indexURL: new URL("./pyodide/", import.meta.url).href,
      stdout: (s) => postMessage({ type: "output", id: current, stream: 1, text: s + "\n" }),
      stderr: (s) => postMessage({ type: "output", id: current, stream: 2, text: s + "\n" }),
    }),
    fetch(new URL("./dist/polyglot.wasm", import.meta.url)).then((r) => r.arrayBuffer()),
  ]);
  const module = await WebAssembly.compile(wasm);
  const measured = await measureDepth(module);
  const depth = Math.max(100, Math.floor(DEPTH_SHARE * measured));
  pg = await createPolyglot({
    wasm: module,
    pyodide,
    interruptBuffer: interrupt,
    maxDepth: depth,
    // A level of Lisp called from Python takes about as much stack as 13 Lisp calls
    // (measured in Chromium: 60 levels fit where 774 Lisp calls do): half of that.
    maxCallbackNesting: Math.max(8, Math.floor(measured / 26)),
    write: (stream, text) => postMessage({ type: "output", id: current, stream, text }),
  });
  postMessage({
    type: "ready",
    loadMs: performance.now() - t0,
    wasmBytes: wasm.byteLength,
    python: pyodide.runPython("import sys; sys.version.split()[0]"),
    crossOriginIsolated: self.crossOriginIsolated === true,
    maxDepth: depth,
  });
}

onmessage = async (e) => {
  const m = e.data;
  if (m.type === "start") {
    try {
      await start(m.interrupt);
    } catch (err) {
      postMessage({ type: "failed", error: String(err && err.stack ? err.stack : err) });
    }
  } else if (m.type === "eval") {
    current = m.id;
    const t0 = performance.now();
    let r;
    try {
      r = pg.eval(m.source, { timing: m.timing });
    } catch (err) {
      r = { ok: false, values: [], error: `internal error: ${err}`, timing: "", handles: [] };
    }
    postMessage({ type: "result", id: m.id, ms: performance.now() - t0, ...r });
  } else if (m.type === "complete") {
    postMessage({ type: "completions", id: m.id, ...pg.complete(m.line, m.pos) });
  }
};
