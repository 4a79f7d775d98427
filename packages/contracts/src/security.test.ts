import { describe, expect, it } from "bun:test";
import { UpsertProductBody } from "./api/admin";
import { LoginBody, RegisterBody } from "./api/auth";
import { MergeCartBody } from "./api/cart";
import { ProductsQuery } from "./api/catalog";
import { OrdersQuery, PlaceOrderBody } from "./api/orders";
import { deriveServiceKey, signRequest, verifyRequest } from "./signing";

const storeId = "0190a6e0-0000-7000-8000-000000000009";

describe("NUL bytes (issue 11, item 1)", () => {
  it("are refused by every client string the shared schemas hold", () => {
    const refused = [
      ProductsQuery.safeParse({ storeId, category: "\u0000" }),
      ProductsQuery.safeParse({ storeId, q: "milk\u0000" }),
      ProductsQuery.safeParse({ storeId, cursor: "a\u0000" }),
      OrdersQuery.safeParse({ cursor: "\u0000" }),
      RegisterBody.safeParse({ email: "a@example.com", password: "password1", name: "Eve\u0000" }),
      LoginBody.safeParse({ email: "a@example.com", password: "pass\u0000word" }),
      PlaceOrderBody.safeParse({
        storeId,
        address: { line1: "1 Main St\u0000", lat: 1, lng: 1 },
        payment: { token: "tok_visa" },
      }),
    ];
    for (const result of refused) {
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain("NUL");
    }
  });

  it("leave ordinary text alone", () => {
    expect(ProductsQuery.safeParse({ storeId, category: "fruits", q: "ban mil" }).success).toBe(true);
  });
});

describe("product images (item 12)", () => {
  const product = { sku: "SKU-1", name: "Milk", category: "dairy" };
  it("accepts http(s) only", () => {
    expect(
      UpsertProductBody.safeParse({ ...product, imageUrl: "https://cdn.example.com/a.png" }).success,
    ).toBe(true);
    for (const imageUrl of ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd"])
      expect(UpsertProductBody.safeParse({ ...product, imageUrl }).success).toBe(false);
  });
});

describe("cart merge (item 2)", () => {
  it("takes a signed guest token, never a bare id", () => {
    expect(MergeCartBody.safeParse({ guestId: storeId, storeId }).success).toBe(false);
    expect(MergeCartBody.safeParse({ guestToken: storeId, storeId }).success).toBe(false);
    expect(MergeCartBody.safeParse({ guestToken: "aaaaaaaa.bbbbbbbbbbb.ccccccccc", storeId }).success).toBe(
      true,
    );
  });
});

describe("edge signature (item 9)", () => {
  const now = 1_760_000_000_000;
  const base = {
    secret: "s".repeat(32),
    method: "POST",
    path: "/v1/orders",
    timestamp: now,
    body: "{}",
    userId: storeId,
    roles: ["shopper"],
    nonce: "n-1",
    idempotencyKey: "key-00000001",
    storeIds: [storeId],
    clientIp: "203.0.113.7",
  };
  it("covers the nonce, the Idempotency-Key, the stores and the client address", async () => {
    const signature = await signRequest(base);
    expect((await verifyRequest({ ...base, signature, now })).ok).toBe(true);
    for (const change of [
      { nonce: "n-2" },
      { idempotencyKey: "key-00000002" },
      { storeIds: [] },
      { clientIp: "198.51.100.1" },
    ]) {
      expect(await verifyRequest({ ...base, ...change, signature, now })).toEqual({
        ok: false,
        reason: "bad_signature",
      });
    }
  });
});

describe("service keys (item 4)", () => {
  it("differ per caller and callee", async () => {
    const root = "r".repeat(32);
    const orderToCart = await deriveServiceKey(root, "order", "cart");
    expect(orderToCart).toMatch(/^[0-9a-f]{64}$/);
    expect(await deriveServiceKey(root, "order", "cart")).toBe(orderToCart);
    expect(await deriveServiceKey(root, "pricing", "cart")).not.toBe(orderToCart);
    expect(await deriveServiceKey(root, "cart", "order")).not.toBe(orderToCart);
  });
});
