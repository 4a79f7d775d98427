import { describe, expect, it } from "vitest";
import { edge, freshIp, receivedByCore, requestId } from "../../../test/helpers";

describe("bodySizeLimit", () => {
  it("refuses a body over 16 KiB with 413 problem+json before core sees it", async () => {
    const id = requestId();
    const response = await edge("/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp(), "x-request-id": id },
      body: JSON.stringify({ email: "a@example.com", password: "x".repeat(20_000), name: "A" }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await receivedByCore(id)).toEqual([]);
  });

  it("lets a normal body through", async () => {
    const response = await edge("/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: JSON.stringify({ email: "a@example.com", password: "long-enough", name: "A" }),
    });
    expect(response.status).toBe(201);
  });
});
