// The page's module Web Worker: the Lisp (polyglot.wasm) and Python (Pyodide) run here, on one
// thread, so calls between them are synchronous; the page (page.mjs) only shows what comes.
//
// From the page: {type: "start", interrupt: Int32Array over a SharedArrayBuffer}, then
// {type: "eval", id, source, timing} and {type: "complete", id, line, pos}. To the page:
// {type: "ready", ...}, {type: "output", id, stream, text} while an evaluation runs, then
// {type: "result", id, ok, values, error, timing, handles, ms}.

import { createPolyglot, depthForStack } from "./polyglot.mjs";
import { loadPyodide } from "./pyodide/pyodide.mjs";

// A dedicated worker's JS stack in Chromium is about 1 MiB (the Lisp overflows it at ~1,100
// nested calls): the depth limit keeps well inside it.
const WORKER_STACK = 1024 * 1024;

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
  pg = await createPolyglot({
    wasm,
    pyodide,
    interruptBuffer: interrupt,
    maxDepth: depthForStack(WORKER_STACK),
    write: (stream, text) => postMessage({ type: "output", id: current, stream, text }),
  });
  postMessage({
    type: "ready",
    loadMs: performance.now() - t0,
    wasmBytes: wasm.byteLength,
    python: pyodide.runPython("import sys; sys.version.split()[0]"),
    crossOriginIsolated: self.crossOriginIsolated === true,
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
