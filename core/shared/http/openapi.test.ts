import { describe, expect, it } from "bun:test";
import { openApi } from "./openapi";

describe("GET /openapi.json on a core service", () => {
  it("answers core's OpenAPI 3.1 document, internal routes included", async () => {
    const response = await openApi("pricing").handle(new Request("http://core/openapi.json"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/internal/v1/quotes");
  });
});
