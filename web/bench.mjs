#!/usr/bin/env node
// node web/bench.mjs [N] [--json]: P18 (../shared/PERFORMANCE.md) in Node, both sides in one run: a fused
// 3-step chain — import math, getattr sqrt, call — made by the Lisp as one request into Pyodide
// (attribute cache off, so every call carries all three steps), against the same three steps
// as three separate `runPython` calls. Prints per-call times (min of 5 rounds) and the ratio.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createPolyglot } from "./polyglot.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const n = Number(args.find((a) => /^\d+$/.test(a)) || 2000);
const { loadPyodide } = await import(join(here, "node_modules/pyodide/pyodide.mjs"));
const t0 = performance.now();
const pyodide = await loadPyodide({ indexURL: join(here, "node_modules/pyodide") });
const loaded = performance.now() - t0;
let out = "";
const pg = await createPolyglot({
  wasm: readFileSync(join(here, "dist/polyglot.wasm")),
  pyodide,
  write: (_, t) => (out += t),
  attrCacheMs: 0,
});
const ready = performance.now() - t0;

const run = (src) => {
  const r = pg.eval(src);
  if (!r.ok) throw new Error(r.error);
  return r;
};
run(`(defn p18 [n] (loop [i 0] (when (< i n) ((. ($py "math") sqrt) 2.0) (recur (inc i)))))`);
run(`(defn empty-loop [n] (loop [i 0] (when (< i n) (recur (inc i)))))`);

const rounds = 5;
// µs per call, one sample per round.
function samples(f) {
  const out = [];
  for (let round = 0; round < rounds; round++) {
    const t = performance.now();
    f();
    out.push(((performance.now() - t) / n) * 1000);
  }
  return out;
}

const loopOnly = Math.min(...samples(() => run(`(empty-loop ${n})`)));
const fused = samples(() => run(`(p18 ${n})`)).map((x) => x - loopOnly);
const separate = samples(() => {
  for (let i = 0; i < n; i++) {
    pyodide.runPython("import math");
    pyodide.runPython("f = math.sqrt");
    pyodide.runPython("f(2.0)");
  }
});
const size = readFileSync(join(here, "dist/polyglot.wasm")).length;
if (json) {
  // For `polyglot bench --suite P18`.
  console.log("P18-RESULT " + JSON.stringify({ ours: fused, base: separate, wasm: size, ready_ms: ready }));
} else {
  const best = (xs) => Math.min(...xs);
  console.log(`P18 fused 3-step chain: ${best(fused).toFixed(1)} µs/call; three runPython calls: ${best(separate).toFixed(1)} µs; ratio ${(best(fused) / best(separate)).toFixed(3)}x (target <= 0.2x)`);
  console.log(`wasm ${(size / 1024).toFixed(0)} KiB; Pyodide loaded in ${loaded.toFixed(0)} ms, polyglot ready after ${ready.toFixed(0)} ms`);
}
