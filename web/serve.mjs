#!/usr/bin/env node
// node web/serve.mjs [PORT]: serves the REPL page (web/) on http://127.0.0.1:PORT (default 8000)
// with the headers cross-origin isolation needs (COOP/COEP: the interrupt button shares memory
// with the page's Web Worker). Pyodide is served from web/node_modules/pyodide as /pyodide/:
// nothing comes from another site.

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".zip": "application/zip",
  ".map": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
};

// URL path -> file: /pyodide/... from the npm package, the rest from web/ (never above it).
function fileFor(urlPath) {
  const path = decodeURIComponent(urlPath.split("?")[0]);
  const [root, rest] = path.startsWith("/pyodide/")
    ? [join(here, "node_modules", "pyodide"), path.slice("/pyodide/".length)]
    : [here, path === "/" ? "index.html" : path.slice(1)];
  const file = normalize(join(root, rest));
  if (file !== root && !file.startsWith(root + sep)) return null;
  if (file.startsWith(join(here, "node_modules") + sep) && !path.startsWith("/pyodide/")) return null;
  return file;
}

export function startServer({ port = 0, host = "127.0.0.1", log = () => {} } = {}) {
  const server = createServer(async (req, res) => {
    const file = fileFor(req.url || "/");
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-cache",
    };
    try {
      if (!file || !(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, {
        ...headers,
        "Content-Type": TYPES[extname(file)] || "application/octet-stream",
        "Content-Length": body.length,
      });
      res.end(req.method === "HEAD" ? undefined : body);
      log(200, req.url);
    } catch {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
      res.end("not found\n");
      log(404, req.url);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const port = Number(process.argv[2] || 8000);
  const server = await startServer({ port });
  const { port: bound } = server.address();
  process.stdout.write(`polyglot REPL page: http://127.0.0.1:${bound}/  (Ctrl-C stops the server)\n`);
}
