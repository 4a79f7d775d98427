import { describe, expect, it } from "bun:test";
import { signRequest, verifyRequest } from "./signing";

const now = 1_760_000_000_000;
const request = {
  secret: "edge-core-shared-secret",
  method: "POST",
  path: "/v1/orders?dryRun=false",
  timestamp: now,
  body: JSON.stringify({ storeId: "s-1" }),
  userId: "0190a6e0-0000-7000-8000-000000000001",
  roles: ["shopper"],
};

describe("request signing", () => {
  it("verifies what it signed", async () => {
    const signature = await signRequest(request);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyRequest({ ...request, signature, timestamp: String(now), now: now + 1_000 })).toEqual({
      ok: true,
    });
  });

  it("rejects a change to any signed part", async () => {
    const signature = await signRequest(request);
    const tampered = [
      { method: "DELETE" },
      { path: "/v1/orders?dryRun=true" },
      { body: JSON.stringify({ storeId: "s-2" }) },
      { userId: "0190a6e0-0000-7000-8000-000000000002" },
      { roles: ["shopper", "admin"] },
      { secret: "another-secret" },
      { timestamp: now + 1 },
    ];
    for (const change of tampered) {
      const result = await verifyRequest({ ...request, ...change, signature, now });
      expect({ change, result }).toEqual({ change, result: { ok: false, reason: "bad_signature" } });
    }
  });

  it("rejects a garbled signature", async () => {
    expect(await verifyRequest({ ...request, signature: "zz", now })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("rejects a timestamp outside the allowed skew", async () => {
    const signature = await signRequest(request);
    expect(await verifyRequest({ ...request, signature, now: now + 30_001 })).toEqual({
      ok: false,
      reason: "stale",
    });
    expect(await verifyRequest({ ...request, signature, now: now - 30_001 })).toEqual({
      ok: false,
      reason: "stale",
    });
    expect(await verifyRequest({ ...request, signature, now: now + 5_000, maxSkewMs: 1_000 })).toEqual({
      ok: false,
      reason: "stale",
    });
  });

  it("reports missing signature or timestamp headers", async () => {
    const signature = await signRequest(request);
    for (const missing of [
      { signature: null },
      { timestamp: null },
      { timestamp: "" },
      { timestamp: "yesterday" },
    ]) {
      expect(await verifyRequest({ ...request, signature, now, ...missing })).toEqual({
        ok: false,
        reason: "missing",
      });
    }
  });

  it("signs bodies given as bytes the same as text", async () => {
    const fromBytes = await signRequest({ ...request, body: new TextEncoder().encode(request.body) });
    expect(fromBytes).toBe(await signRequest(request));
  });
});
