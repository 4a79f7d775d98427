import { describe, expect, it } from "vitest";
import { as, edge, freshIp, receivedByCore, requestId } from "../../../test/helpers";

type Problem = { status: number; errors: { path: string; message: string }[] };

describe("validate", () => {
  it("answers 400 problem+json naming every bad field of a body, and never calls core", async () => {
    const id = requestId();
    const response = await edge("/v1/orders", {
      method: "POST",
      headers: {
        ...(await as()),
        "content-type": "application/json",
        "x-request-id": id,
        "idempotency-key": "key-12345678",
      },
      body: JSON.stringify({ storeId: "not-a-uuid", address: { line1: "", lat: 200, lng: 77 }, payment: {} }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json<Problem>();
    expect(problem.errors.map((e) => e.path).sort()).toEqual([
      "address.lat",
      "address.line1",
      "payment.token",
      "storeId",
    ]);
    expect((await receivedByCore(id)).filter((r) => r.method === "POST")).toEqual([]);
  });

  it("validates queries and path params the same way", async () => {
    const id = requestId();
    const response = await edge("/v1/catalog/products/lower-case?storeId=x&limit=0", {
      headers: { "x-request-id": id, "cf-connecting-ip": freshIp() },
    });
    expect(response.status).toBe(400);
    expect((await response.json<Problem>()).errors.map((e) => e.path)).toEqual(["sku"]);
    const query = await edge("/v1/catalog/products?storeId=x&limit=0", {
      headers: { "cf-connecting-ip": freshIp() },
    });
    expect((await query.json<Problem>()).errors.map((e) => e.path).sort()).toEqual(["limit", "storeId"]);
    expect(await receivedByCore(id)).toEqual([]);
  });

  it("requires an Idempotency-Key on checkout", async () => {
    const response = await edge("/v1/orders", {
      method: "POST",
      headers: { ...(await as()), "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect((await response.json<Problem>()).errors.map((e) => e.path)).toContain("idempotency-key");
  });

  it("answers malformed JSON with 400 problem+json", async () => {
    const response = await edge("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
