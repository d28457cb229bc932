// The Node runner (web/run.mjs) as a user runs it: real scripts, real Pyodide, the output and
// exit status `polyglot FILE.lisp` gives for them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), "polyglot-web-test-"));

function run(source, args = [], input) {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.lisp`);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [join(web, "run.mjs"), input === undefined ? file : "-", ...args], {
    input: input ?? "",
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 120_000,
  });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

test("Lisp and Python output come in program order", () => {
  const r = run(`(println "one")
(py-exec "print('two')")
(println "three")
(py-exec "import sys; sys.stderr.write('to stderr\\\\n')")`);
  assert.equal(r.out, "one\ntwo\nthree\n");
  assert.equal(r.err, "to stderr\n");
  assert.equal(r.status, 0);
});

test("Python calls Lisp calls Python, nested", () => {
  const r = run(`(def key (fn [x] (- ((. ($py "math") fabs) x))))
(println ((. builtins sorted) [3 -1 2] :key key))
(defn down (n) (if (= n 0) 0 (+ 1 ((py-eval "lambda f, n: f(n)") down (- n 1)))))
(println (down 50))`);
  assert.equal(r.out, "[3, 2, -1]\n50\n");
  assert.equal(r.status, 0, r.err);
});

test("an uncaught error is a diagnostic on stderr with its source span, status 1", () => {
  const r = run(`(println "before")\n(py-eval "1/0")\n(println "after")\n`);
  assert.equal(r.out, "before\n");
  assert.match(r.err, /ZeroDivisionError: division by zero/);
  assert.match(r.err, /2 \| \(py-eval "1\/0"\)/);
  assert.equal(r.status, 1);
});

test("SystemExit sets the exit status; *argv* holds the arguments", () => {
  const r = run(`(println *argv*)\n(py-exec "raise SystemExit(3)")`, ["a", "b c"]);
  assert.equal(r.out, '[a b c]\n'.replace("b c", "b c"));
  assert.equal(r.status, 3);
});

test("deep recursion runs to the native depth limit and then fails cleanly", () => {
  const r = run(`(defn depth (n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(println (depth 50000))
(println (depth 200000))`);
  assert.equal(r.out, "50000\n");
  assert.match(r.err, /recursion depth exceeded \(100000 nested calls\)/);
  assert.equal(r.status, 1);
});

test("a script on stdin", () => {
  const r = run("", [], `(println (+ 40 2))`);
  assert.equal(r.out, "42\n");
  assert.equal(r.status, 0);
});

test("atexit handlers run when the script ends", () => {
  const r = run(`(py-exec "import atexit; atexit.register(lambda: print('bye'))")\n(println "main")`);
  assert.equal(r.out, "main\nbye\n");
  assert.equal(r.status, 0);
});
