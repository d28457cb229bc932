#!/usr/bin/env node
// node web/run.mjs FILE.lisp [ARGS...]: runs a polyglot script in Node, the Lisp as the wasm
// module and Python in Pyodide, printing what `polyglot FILE.lisp` prints for the same program
// and exiting with the same status. `-` reads the script from stdin.
//
// The script runs in a worker thread with a big stack (STACK_MB): the Lisp's frames are the
// JS engine's, and the depth limit is set from it.

import { Worker, isMainThread, workerData, parentPort } from "node:worker_threads";
import { readFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const STACK_MB = 512;

if (isMainThread) {
  const [file, ...args] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: node web/run.mjs FILE.lisp [ARGS...]\n");
    process.exit(2);
  }
  let source;
  try {
    source = readFileSync(file === "-" ? 0 : file);
  } catch (e) {
    process.stderr.write(`error: cannot read ${file}: ${e.message}\n`);
    process.exit(1);
  }
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { file, args, source },
    resourceLimits: { stackSizeMb: STACK_MB },
  });
  let status = 1;
  worker.on("message", (m) => {
    if (m.status !== undefined) status = m.status;
  });
  worker.on("error", (e) => {
    process.stderr.write(`polyglot (node): ${e.stack || e}\n`);
    status = 1;
  });
  worker.on("exit", () => {
    process.exitCode = status;
  });
} else {
  const { createPolyglot, depthForStack } = await import(join(here, "polyglot.mjs"));
  const { loadPyodide } = await import(join(here, "node_modules/pyodide/pyodide.mjs"));
  // Straight to the file descriptors, in order (process.stdout in a worker is asynchronous).
  const write = (stream, text) => {
    const bytes = Buffer.from(text, "utf8");
    let done = 0;
    while (done < bytes.length) done += writeSync(stream, bytes, done);
  };
  const pyodide = await loadPyodide({
    indexURL: join(here, "node_modules/pyodide"),
    stdout: (s) => write(1, s + "\n"),
    stderr: (s) => write(2, s + "\n"),
  });
  const pg = await createPolyglot({
    wasm: readFileSync(join(here, "dist/polyglot.wasm")),
    pyodide,
    write,
    maxDepth: Math.min(100000, depthForStack(STACK_MB * 1024 * 1024)),
  });
  const { file, args } = workerData;
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(workerData.source);
  } catch {
    write(2, `error: ${file}: invalid UTF-8; polyglot reads UTF-8 text\n`);
    parentPort.postMessage({ status: 1 });
  }
  if (text !== undefined) {
    const name = file === "-" ? "<stdin>" : file;
    let status = pg.runScript(name, text, args);
    const exit = pg.shutdown();
    if (status === 0 && exit) status = exit;
    parentPort.postMessage({ status });
  }
}
