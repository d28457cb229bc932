// The REPL page in headless Chromium (Debian's, driven by puppeteer-core): served by
// web/serve.mjs on 127.0.0.1, everything loaded from there (a request to any other host fails
// the test), Lisp calling Python in the page's Web Worker, handles and timing shown, and
// Ctrl-C (the Interrupt button, or the key) stopping a runaway Python loop and a Lisp loop.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { startServer } from "../serve.mjs";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const foreign = [];
let server, browser, page, base;

before(async () => {
  server = await startServer({ port: 0 });
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: mkdtempSync(join(tmpdir(), "polyglot-chromium-")),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage();
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (!["127.0.0.1", ""].includes(url.hostname) && url.protocol !== "data:" && url.protocol !== "blob:") {
      foreign.push(r.url());
    }
  });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.title !== "polyglot — loading", { timeout: 120_000 });
  assert.equal(await page.title(), "polyglot — ready", await page.$eval("#transcript", (e) => e.textContent));
});

after(async () => {
  await browser?.close();
  server?.close();
});

const evalInPage = (source) => page.evaluate((s) => window.polyglotEval(s), source);

test("the page loads everything from the site itself, cross-origin isolated", async () => {
  const info = await page.evaluate(() => ({
    isolated: self.crossOriginIsolated,
    loadMs: Number(document.body.dataset.loadMs),
    wasmBytes: Number(document.body.dataset.wasmBytes),
    maxDepth: Number(document.body.dataset.maxDepth),
  }));
  assert.equal(info.isolated, true);
  console.log(`page: Pyodide + polyglot ready in ${info.loadMs} ms; wasm ${info.wasmBytes} bytes; depth limit ${info.maxDepth}`);
  assert.deepEqual(foreign, []);
});

test("typing Lisp that calls Python shows the value and the timing", async () => {
  await page.type("#input", `(let [m ($py "math")] (m.sqrt 16))`);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => {
    const last = document.querySelector("#transcript .entry:last-child");
    return last && last.querySelector(".timing");
  });
  const entry = await page.$eval("#transcript .entry:last-child", (e) => ({
    input: e.querySelector(".in").textContent,
    value: e.querySelector(".value")?.textContent,
    timing: e.querySelector(".timing").textContent,
  }));
  assert.equal(entry.input, `(let [m ($py "math")] (m.sqrt 16))`);
  assert.equal(entry.value, "4.0");
  assert.match(entry.timing, /\d/);
  const shot = join(web, "test-output");
  mkdirSync(shot, { recursive: true });
  await page.screenshot({ path: join(shot, "page.png") });
});

test("Python output, values and handles", async () => {
  const r = await evalInPage(`(py-exec "print('printed by Python')") (def d (py-eval "{'k': [1, 2]}")) d`);
  assert.equal(r.ok, true, r.error);
  assert.equal(r.values.at(-1), "#<py dict h0 {'k': [1, 2]}>".replace("h0", r.values.at(-1).match(/h\d+/)[0]));
  const out = await page.$eval("#transcript .entry:last-child .out", (e) => e.textContent);
  assert.equal(out, "printed by Python\n");
  const rows = await page.$$eval("#handles tbody tr", (trs) => trs.map((tr) => tr.textContent));
  assert.ok(rows.some((t) => t.includes("dict") && t.includes("'k': [1, 2]")), rows.join("; "));
});

test("Interrupt stops a runaway Python loop; the session goes on", async () => {
  const pending = evalInPage(`(py-exec "while True: pass")`);
  await new Promise((r) => setTimeout(r, 500));
  await page.click("#interrupt");
  const r = await pending;
  assert.equal(r.ok, false);
  assert.match(r.error, /KeyboardInterrupt/);
  assert.deepEqual((await evalInPage("(+ 1 2)")).values, ["3"]);
});

test("Ctrl-C stops a Lisp loop; the session goes on", async () => {
  await page.focus("#input");
  const pending = evalInPage(`(loop [i 0] (recur (inc i)))`);
  await new Promise((r) => setTimeout(r, 500));
  await page.keyboard.down("Control");
  await page.keyboard.press("c");
  await page.keyboard.up("Control");
  const r = await pending;
  assert.equal(r.ok, false);
  assert.match(r.error, /interrupt/i);
  assert.deepEqual((await evalInPage("(* 6 7)")).values, ["42"]);
});

test("recursion runs to the measured depth limit, and past it is a clean error", async () => {
  const limit = await page.evaluate(() => Number(document.body.dataset.maxDepth));
  assert.ok(limit >= 100, `depth limit ${limit}`);
  const r = await evalInPage(`(defn deep (n) (if (= n 0) 0 (+ 1 (deep (- n 1))))) (deep 100000)`);
  assert.equal(r.ok, false);
  assert.match(r.error, new RegExp(`recursion depth exceeded \\(${limit} nested calls\\)`));
  const below = limit - 5;
  assert.deepEqual((await evalInPage(`(deep ${below})`)).values, [String(below)]);
  // Through Python and back at every level: each level is heavier on the stack.
  const viaPython = await evalInPage(`(def call (py-eval "lambda g, n: g(n)"))
    (defn f (n) (if (= n 0) 0 (+ 1 (call f (- n 1)))))
    (f 20)`);
  assert.deepEqual(viaPython.values.at(-1), "20", viaPython.error);
  const tooDeep = await evalInPage(`(f 100000)`);
  assert.equal(tooDeep.ok, false);
  assert.match(tooDeep.error, /RecursionError|recursion depth exceeded/);
  assert.deepEqual((await evalInPage("(+ 1 2)")).values, ["3"], "the session goes on");
});
