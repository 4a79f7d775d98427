import { publicApiDocument } from "@qc/contracts/openapi/documents";
import { Hono } from "hono";
import type { AppEnv } from "../env";

// Generated once per isolate; the contracts it comes from cannot change while the Worker runs.
let document: ReturnType<typeof publicApiDocument> | undefined;

// The page runs only the Worker's own script (no CDN: a third party's script would run on our origin,
// next to shoppers' tokens), and its CSP allows nothing else.
const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>QuickCommerce API</title>
    <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
    code{background:#f3f3f3;padding:0 .3em}h2{margin-top:2rem;text-transform:capitalize}
    .op{margin:.4rem 0}.m{display:inline-block;width:4.5rem;font-weight:600}</style>
  </head>
  <body>
    <h1>QuickCommerce API</h1>
    <p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
    <main id="api" data-spec-url="/openapi.json">Loading…</main>
    <script src="/docs/app.js"></script>
  </body>
</html>`;

// Renders each operation by tag; text goes in through textContent only, never as HTML.
const script = `(async () => {
  const main = document.getElementById("api");
  const spec = await (await fetch(main.dataset.specUrl)).json();
  const byTag = new Map();
  for (const [path, item] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, op]);
    }
  main.textContent = "";
  const el = (name, text) => { const node = document.createElement(name); if (text) node.textContent = text; return node; };
  for (const [tag, ops] of byTag) {
    main.append(el("h2", tag));
    for (const [method, path, op] of ops) {
      const row = el("div"); row.className = "op";
      const m = el("span", method.toUpperCase()); m.className = "m";
      row.append(m, el("code", path), document.createTextNode(" " + (op.summary || "")));
      main.append(row);
    }
  }
})();`;

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/** `GET /openapi.json` (the public API as OpenAPI 3.1, generated from the contracts) and `GET /docs` (a page that renders it). */
export const docs = new Hono<AppEnv>()
  .get("/openapi.json", (c) => {
    document ??= publicApiDocument();
    return c.json(document);
  })
  .get("/docs", (c) => {
    c.header("content-security-policy", PAGE_CSP);
    return c.html(page);
  })
  .get("/docs/app.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "public, max-age=300");
    return c.body(script);
  });
