import { describe, expect, it } from "bun:test";
import {
  type SignInput,
  signRequest as signWithWebCrypto,
  verifyRequest as verifyWithWebCrypto,
} from "@qc/contracts";
import { signRequest, verifyRequest } from "./signing";

const now = Date.now();
const inputs: SignInput[] = [
  { secret: "s".repeat(32), method: "post", path: "/v1/orders?limit=5", timestamp: now },
  {
    secret: "another-secret-of-the-edge",
    method: "PUT",
    path: "/v1/cart/items/MILK-1L",
    timestamp: now,
    body: '{"quantity":2,"note":"Grüße 🍞"}',
    userId: crypto.randomUUID(),
    roles: ["shopper", "admin"],
    nonce: "n".repeat(32),
    idempotencyKey: "key-12345678",
    storeIds: [crypto.randomUUID(), crypto.randomUUID()],
    clientIp: "203.0.113.7",
  },
  {
    secret: "k".repeat(40),
    method: "POST",
    path: "/qc.pricing.v1.Pricing/QuoteCart",
    timestamp: now,
    body: new Uint8Array([0, 1, 2, 255]),
  },
];

describe("core's request signatures (node:crypto)", () => {
  it("are byte for byte the WebCrypto ones the edge makes, and each side verifies the other's", async () => {
    for (const input of inputs) {
      const ours = await signRequest(input);
      expect(ours).toMatch(/^[0-9a-f]{64}$/);
      expect(ours).toBe(await signWithWebCrypto(input));
      expect(await verifyRequest({ ...input, signature: await signWithWebCrypto(input), now })).toEqual({
        ok: true,
      });
      expect(await verifyWithWebCrypto({ ...input, signature: ours, now })).toEqual({ ok: true });
      // Hex case does not matter, as before.
      expect(await verifyRequest({ ...input, signature: ours.toUpperCase(), now })).toEqual({ ok: true });
    }
  });

  it("refuse a changed request, a flipped digit, a malformed or missing signature and a stale time", async () => {
    const [input] = inputs as [SignInput];
    const signature = await signRequest(input);
    const flipped = (signature[0] === "0" ? "1" : "0") + signature.slice(1);
    const bad = { ok: false, reason: "bad_signature" } as const;
    expect(await verifyRequest({ ...input, path: "/v1/orders?limit=6", signature, now })).toEqual(bad);
    expect(await verifyRequest({ ...input, body: "{}", signature, now })).toEqual(bad);
    expect(await verifyRequest({ ...input, userId: "someone-else", signature, now })).toEqual(bad);
    expect(await verifyRequest({ ...input, signature: flipped, now })).toEqual(bad);
    expect(await verifyRequest({ ...input, signature: signature.slice(0, -1), now })).toEqual(bad);
    expect(await verifyRequest({ ...input, signature: "zz".repeat(32), now })).toEqual(bad);
    expect(await verifyRequest({ ...input, signature: "", now })).toEqual({ ok: false, reason: "missing" });
    expect(await verifyRequest({ ...input, signature, now: now + 60_000 })).toEqual({
      ok: false,
      reason: "stale",
    });
  });
});
