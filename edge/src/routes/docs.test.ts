import { describe, expect, it } from "vitest";
import { edge } from "../../test/helpers";
import { app } from "../app";

interface Document {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
}

// Hono lists one entry per handler and middleware; the served routes are the method-specific ones.
function servedRoutes(): string[] {
  const routes = app.routes
    .filter(
      (route) =>
        route.method !== "ALL" &&
        !["/openapi.json", "/docs", "/docs/app.js", "/ops", "/ops/app.js"].includes(route.path),
    )
    .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}").replace(/(.)\/$/, "$1")}`);
  return [...new Set(routes)].sort();
}

describe("API documentation", () => {
  it("serves the public OpenAPI 3.1 document at GET /openapi.json", async () => {
    const response = await edge("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const document = await response.json<Document>();
    expect(document.openapi).toBe("3.1.0");
    expect(document.paths["/v1/orders"]).toHaveProperty("post");
  });

  it("documents exactly the routes the edge serves", async () => {
    const document = await (await edge("/openapi.json")).json<Document>();
    const documented = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(servedRoutes());
  });

  it("serves a browsable page that renders the document at GET /docs", async () => {
    const response = await edge("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain('data-spec-url="/openapi.json"');
  });

  it("runs only the Worker's own script on the page, no third party's (issue 11, item 12)", async () => {
    const response = await edge("/docs");
    const html = await response.text();
    const sources = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1]);
    expect(sources).toEqual(["/docs/app.js"]);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const script = await edge("/docs/app.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
  });
});
