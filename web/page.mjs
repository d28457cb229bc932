// The REPL page: input, output, values, handles and timing, as the terminal REPL shows them.
// Everything runs in a module Web Worker (worker.mjs); this thread only shows what it sends,
// so the page stays responsive while Lisp or Python runs, and the Interrupt button (or Ctrl-C
// in the input) stops either through one shared interrupt buffer.

const $ = (id) => document.getElementById(id);
const transcript = $("transcript");
const input = $("input");
const runButton = $("run");
const interruptButton = $("interrupt");
const statusLine = $("status");

const interrupt = self.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
const worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
const entries = new Map();
const history = [];
let historyAt = 0;
let nextId = 1;
let busy = null;
let completing = null;

function element(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setBusy(id) {
  busy = id;
  runButton.disabled = id !== null;
  interruptButton.disabled = id === null;
}

function showHandles(rows) {
  const body = $("handles").tBodies[0];
  body.replaceChildren(
    ...rows.map(([index, type, repr]) => {
      const tr = element("tr");
      tr.append(element("td", "", `h${index}`), element("td", "", type), element("td", "", repr));
      return tr;
    }),
  );
}

function evaluate(source) {
  if (busy !== null || !source.trim()) return;
  const id = nextId++;
  const entry = element("div", "entry");
  entry.dataset.id = id;
  entry.append(element("div", "in", source));
  transcript.append(entry);
  entries.set(id, entry);
  history.push(source);
  historyAt = history.length;
  if (interrupt) Atomics.store(interrupt, 0, 0);
  setBusy(id);
  worker.postMessage({ type: "eval", id, source, timing: $("timing").checked });
}

function stop() {
  if (busy !== null && interrupt) Atomics.store(interrupt, 0, 2);
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === "ready") {
    statusLine.textContent =
      `ready: Python ${m.python} (Pyodide), loaded in ${(m.loadMs / 1000).toFixed(1)} s, ` +
      `wasm ${(m.wasmBytes / 1024).toFixed(0)} KiB` + (m.crossOriginIsolated ? "" : " — no interrupt (not cross-origin isolated)");
    document.title = "polyglot — ready";
    document.body.dataset.loadMs = String(Math.round(m.loadMs));
    document.body.dataset.wasmBytes = String(m.wasmBytes);
    document.body.dataset.maxDepth = String(m.maxDepth);
    runButton.disabled = false;
    input.focus();
  } else if (m.type === "failed") {
    statusLine.textContent = "failed to start";
    transcript.append(element("div", "error", m.error));
    document.title = "polyglot — failed";
  } else if (m.type === "output") {
    const entry = entries.get(m.id) || transcript;
    const last = entry.lastElementChild;
    const cls = m.stream === 2 ? "err" : "out";
    if (last && last.className === cls) last.textContent += m.text;
    else entry.append(element("div", cls, m.text));
  } else if (m.type === "result") {
    const entry = entries.get(m.id);
    for (const v of m.values) entry.append(element("div", "value", v));
    if (!m.ok) entry.append(element("div", "error", m.error));
    const timing = m.timing ? `${m.timing}` : `${m.ms.toFixed(1)} ms`;
    entry.append(element("div", "timing", timing));
    showHandles(m.handles);
    transcript.scrollTop = transcript.scrollHeight;
    setBusy(null);
    input.focus();
  } else if (m.type === "completions" && completing && completing.id === m.id) {
    const { items, start } = m;
    if (items.length === 1) {
      const [, word] = items[0];
      const v = input.value;
      const pos = completing.pos;
      const startChar = new TextDecoder().decode(new TextEncoder().encode(v.slice(0, pos)).slice(0, start)).length;
      input.value = v.slice(0, startChar) + word + v.slice(pos);
      input.selectionStart = input.selectionEnd = startChar + word.length;
    } else if (items.length > 1) {
      const entry = element("div", "entry");
      entry.append(element("div", "timing", items.map(([shown]) => shown).join("  ")));
      transcript.append(entry);
      transcript.scrollTop = transcript.scrollHeight;
    }
    completing = null;
  }
};

$("prompt").addEventListener("submit", (e) => {
  e.preventDefault();
  const source = input.value;
  input.value = "";
  evaluate(source);
});

interruptButton.addEventListener("click", stop);

input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("prompt").requestSubmit();
  } else if (e.key === "c" && e.ctrlKey && busy !== null) {
    e.preventDefault();
    stop();
  } else if (e.key === "Tab" && busy === null) {
    e.preventDefault();
    const id = nextId++;
    completing = { id, pos: input.selectionStart };
    worker.postMessage({ type: "complete", id, line: input.value, pos: input.selectionStart });
  } else if (e.key === "ArrowUp" && e.altKey && historyAt > 0) {
    input.value = history[--historyAt];
  } else if (e.key === "ArrowDown" && e.altKey && historyAt < history.length) {
    historyAt++;
    input.value = history[historyAt] ?? "";
  }
});

document.addEventListener("keydown", (e) => {
  if (e.key === "c" && e.ctrlKey && busy !== null) stop();
});

// For tests and scripts: evaluate and wait for the entry's result.
window.polyglotEval = (source) =>
  new Promise((resolve) => {
    const id = nextId;
    evaluate(source);
    const watch = (e) => {
      if (e.data.type === "result" && e.data.id === id) {
        worker.removeEventListener("message", watch);
        resolve(e.data);
      }
    };
    worker.addEventListener("message", watch);
  });
window.polyglotInterrupt = stop;

worker.postMessage({ type: "start", interrupt });
