import { publicApiDocument } from "@qc/contracts/openapi/documents";
import { Hono } from "hono";
import type { AppEnv } from "../env";

// Generated once per isolate; the contracts it comes from cannot change while the Worker runs.
let document: ReturnType<typeof publicApiDocument> | undefined;

// The reader's browser loads Redoc from its CDN; the Worker serves only this page and the document.
const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>QuickCommerce API</title>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/v2.5.0/bundles/redoc.standalone.js"></script>
  </body>
</html>`;

/** `GET /openapi.json` (the public API as OpenAPI 3.1, generated from the contracts) and `GET /docs` (a page that renders it). */
export const docs = new Hono<AppEnv>()
  .get("/openapi.json", (c) => {
    document ??= publicApiDocument();
    return c.json(document);
  })
  .get("/docs", (c) => c.html(page));
