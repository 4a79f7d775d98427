import { describe, expect, it } from "vitest";
import { edge, receivedByCore, requestId } from "../../../test/helpers";

const STORE = "0190a5c0-0000-7000-8000-000000000001";

describe("correlation", () => {
  it("returns the caller's X-Request-Id and carries it to core", async () => {
    const id = requestId();
    const response = await edge(`/v1/catalog/categories?storeId=${STORE}`, {
      headers: { "x-request-id": id },
    });
    expect(response.headers.get("x-request-id")).toBe(id);
    const [sent] = await receivedByCore(id);
    expect(sent?.headers["x-request-id"]).toBe(id);
  });

  it("creates an id when the caller sends none or a malformed one, also on errors", async () => {
    const response = await edge("/v1/nowhere", { headers: { "x-request-id": "bad id\n" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("continues the caller's trace with a new span for the edge hop", async () => {
    const id = requestId();
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await edge(`/v1/catalog/products/APPLE-1?storeId=${STORE}&n=${id}`, {
      headers: { "x-request-id": id, traceparent: parent },
    });
    const [sent] = await receivedByCore(id);
    expect(sent?.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(sent?.headers.traceparent).not.toBe(parent);
  });
});
