// The Pyodide backend in process, as the page's worker drives it: values, errors, handles,
// timing, completion, the depth limit, and the interrupt buffer stopping Python and Lisp loops.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createPolyglot, depthForStack } from "../polyglot.mjs";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const interrupt = new Int32Array(new SharedArrayBuffer(4));
let pg;
let output = "";

before(async () => {
  const { loadPyodide } = await import(join(web, "node_modules/pyodide/pyodide.mjs"));
  const pyodide = await loadPyodide({ indexURL: join(web, "node_modules/pyodide") });
  pg = await createPolyglot({
    wasm: readFileSync(join(web, "dist/polyglot.wasm")),
    pyodide,
    write: (_, text) => (output += text),
    interruptBuffer: interrupt,
    // Node's main thread: V8's default stack of about 984 KiB.
    maxDepth: depthForStack(984 * 1024),
  });
});

// Stores 2 (SIGINT) into the interrupt buffer from another thread after `ms`, as the page's
// button does while the worker is busy.
function interruptAfter(ms) {
  const w = new Worker(
    `const { workerData } = require("node:worker_threads");
     setTimeout(() => { Atomics.store(workerData, 0, 2); }, ${ms});`,
    { eval: true, workerData: interrupt },
  );
  return new Promise((resolve) => w.on("exit", resolve));
}

test("values are shown as the REPL shows them, one per form", () => {
  const r = pg.eval(`(+ 1 2) "text" (let [m ($py "math")] (m.sqrt 16)) [1 2]`);
  assert.deepEqual(r.values, ["3", '"text"', "4.0", "[1 2]"]);
  assert.equal(r.ok, true);
});

test("handles list the Python objects the session holds", () => {
  const r = pg.eval(`(def d (py-eval "{'a': 1}"))`);
  assert.equal(r.ok, true);
  const row = r.handles.find(([, type]) => type === "dict");
  assert.ok(row, JSON.stringify(r.handles));
  assert.match(row[2], /'a': 1/);
});

test("timing says how long the evaluation took, and in Python", () => {
  const r = pg.eval(`((. ($py "math") sqrt) 2.0)`, { timing: true });
  assert.equal(r.ok, true);
  assert.match(r.timing, /\d/);
  assert.match(r.timing, /python/i);
});

test("a Python error is an error with its type and the source line", () => {
  const r = pg.eval(`(py-eval "1/0")`);
  assert.equal(r.ok, false);
  assert.match(r.error, /ZeroDivisionError: division by zero/);
  assert.match(r.error, /\(py-eval "1\/0"\)/);
});

test("print output arrives through the writer, before the value", () => {
  output = "";
  const r = pg.eval(`(py-exec "print('hi from Python')") (println "hi from Lisp")`);
  assert.equal(r.ok, true);
  assert.equal(output, "hi from Python\nhi from Lisp\n");
});

test("completion offers Lisp names", () => {
  const r = pg.complete("(printl");
  assert.ok(r.items.some(([, word]) => word === "println"), JSON.stringify(r));
});

test("recursion past the limit is a clean error, and the session goes on", () => {
  const limit = depthForStack(984 * 1024);
  const r = pg.eval(`(defn deep (n) (if (= n 0) 0 (+ 1 (deep (- n 1))))) (deep ${limit * 4})`);
  assert.equal(r.ok, false);
  assert.match(r.error, new RegExp(`recursion depth exceeded \\(${limit} nested calls\\)`));
  assert.deepEqual(pg.eval(`(deep ${Math.floor(limit / 2)})`).values.at(-1), String(Math.floor(limit / 2)));
});

test("the interrupt stops a Python loop with KeyboardInterrupt; the session goes on", async () => {
  const done = interruptAfter(300);
  const t = performance.now();
  const r = pg.eval(`(py-exec "while True: pass")`);
  await done;
  assert.equal(r.ok, false);
  assert.match(r.error, /KeyboardInterrupt/);
  assert.ok(performance.now() - t < 10_000);
  assert.deepEqual(pg.eval("(+ 1 2)").values, ["3"]);
});

test("the interrupt stops a Lisp loop; the session goes on", async () => {
  const done = interruptAfter(300);
  const r = pg.eval(`(loop [i 0] (recur (inc i)))`);
  await done;
  assert.equal(r.ok, false);
  assert.match(r.error, /interrupt/i);
  assert.deepEqual(pg.eval("(* 6 7)").values, ["42"]);
});
