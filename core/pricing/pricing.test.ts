import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Quote, QuoteVerdict } from "@qc/contracts";
import type { Kysely } from "kysely";
import { awaitOutbox, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import type { Database } from "./db/schema";
import { pricingService } from "./main";
import { createPriceBook } from "./use-cases/price-book";

const admin = { userId: Bun.randomUUIDv7(), roles: ["admin" as const] };
const shopper = Bun.randomUUIDv7();
const hour = 3600_000;
const window = (fromMs = -hour, toMs = hour) => ({
  validFrom: new Date(Date.now() + fromMs).toISOString(),
  validTo: new Date(Date.now() + toMs).toISOString(),
});

let env: TestEnvironment;
let pricing: TestService;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await testEnvironment({ database: "qc_test_pricing_cart", env: { PRICING_SURGE_OPEN_ORDERS: "2" } });
  pricing = await env.start(pricingService);
  db = env.db("pricing");
});
afterAll(() => env.stop(), 30_000);

const setPrice = (storeId: string, sku: string, amountMinor: number) =>
  pricing.call("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, {
    body: { price: { amountMinor, currency: "INR" } },
    user: admin,
  });
const createCoupon = (body: Record<string, unknown>) =>
  pricing.call("POST", "/v1/admin/coupons", { body: { ...window(), ...body }, user: admin });
const quote = (body: Record<string, unknown>) => pricing.call("POST", "/internal/v1/quotes", { body });
const redeem = (code: string, orderId = Bun.randomUUIDv7(), userId = shopper) =>
  pricing.call("POST", `/internal/v1/coupons/${code}/redemptions`, { body: { orderId, userId } });
const uniqueCode = () => `C${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
const until = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(100);
  }
};

describe("prices", () => {
  it("lets only admins set a price, and publishes PriceChanged", async () => {
    const storeId = Bun.randomUUIDv7();
    const refused = await pricing.call("PUT", `/v1/admin/stores/${storeId}/prices/MILK-1L`, {
      body: { price: { amountMinor: 3000, currency: "INR" } },
      user: { userId: shopper, roles: ["shopper"] },
    });
    expect(refused.status).toBe(403);
    expect((await setPrice(storeId, "MILK-1L", 3000)).status).toBe(200);
    const [event] = await awaitOutbox(db, `${storeId}:MILK-1L`, "PriceChanged");
    expect(event?.data).toEqual({ storeId, sku: "MILK-1L", price: { amountMinor: 3000, currency: "INR" } });
  });

  it("names a negative price in a 400 problem", async () => {
    const response = await setPrice(Bun.randomUUIDv7(), "MILK-1L", -1);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path).join()).toContain("price");
  });
});

describe("price cache across instances", () => {
  it("serves a repeated lookup from the LRU, and another instance sees a new price after PriceChanged", async () => {
    const storeId = Bun.randomUUIDv7();
    await setPrice(storeId, "BREAD-1", 4000);
    // A second instance of pricing: its own LRU and its own invalidation consumer, sharing Redis.
    const other = createPriceBook(pricing.ctx as never);
    const listening = await other.listen();
    try {
      expect(await other.price(storeId, "BREAD-1")).toEqual({ amountMinor: 4000, currency: "INR" });
      expect(await other.price(storeId, "BREAD-1")).toEqual({ amountMinor: 4000, currency: "INR" });
      expect(other.cache.stats()).toMatchObject({ local: { hits: 1, misses: 1 }, redis: { hits: 1 } });

      // Its LRU holds 4000 for 30 s; only the PriceChanged event can make it drop that copy sooner.
      // The invalidation group starts at the latest offset, so keep changing the price until it has joined.
      let amount = 4000;
      await until(async () => {
        amount += 1;
        await setPrice(storeId, "BREAD-1", amount);
        await Bun.sleep(300);
        return (await other.price(storeId, "BREAD-1"))?.amountMinor === amount;
      });
      expect(other.cache.stats().invalidations).toBeGreaterThan(0);
    } finally {
      await listening.stop();
    }
  }, 40_000);
});

describe("quotes", () => {
  it("applies the best promotion, the coupon and the fees, and signs the result", async () => {
    const storeId = Bun.randomUUIDv7();
    await setPrice(storeId, "RICE-5KG", 12_000);
    await setPrice(storeId, "SODA-330", 4000);
    const promotion = await pricing.call("POST", "/v1/admin/promotions", {
      body: {
        storeId,
        skus: ["SODA-330"],
        rule: { kind: "buy_x_get_y", buyQuantity: 2, getQuantity: 1 },
        ...window(),
      },
      user: admin,
    });
    expect(promotion.status).toBe(201);
    const code = uniqueCode();
    await createCoupon({ code, percentOff: 10, maxRedemptions: 5 });

    const response = await quote({
      userId: shopper,
      storeId,
      lines: [
        { sku: "RICE-5KG", quantity: 1 },
        { sku: "SODA-330", quantity: 3 },
      ],
      couponCode: code.toLowerCase(),
    });
    expect(response.status).toBe(200);
    const priced = (await response.json()) as Quote;
    // 12000 + 3×4000 = 24000; one soda free → 20000; 10% coupon → 18000; ≥ 10000 so no small-cart fee.
    expect(priced).toMatchObject({
      currency: "INR",
      subtotalMinor: 24_000,
      discountMinor: 6000,
      deliveryFeeMinor: 1990,
      smallCartFeeMinor: 0,
      surgeFeeMinor: 0,
      totalMinor: 19_990,
      couponCode: code,
    });
    const verdict = (await (
      await pricing.call("POST", "/internal/v1/quotes/verify", { body: { token: priced.token } })
    ).json()) as QuoteVerdict;
    expect(verdict).toEqual({ valid: true, expired: false, quote: priced });
  });

  it("refuses a tampered token", async () => {
    const storeId = Bun.randomUUIDv7();
    await setPrice(storeId, "GUM-1", 500);
    const priced = (await (
      await quote({ userId: shopper, storeId, lines: [{ sku: "GUM-1", quantity: 1 }] })
    ).json()) as Quote;
    const tampered = `${priced.token.slice(0, -2)}AA`;
    const verdict = await pricing.call("POST", "/internal/v1/quotes/verify", { body: { token: tampered } });
    expect(await verdict.json()).toEqual({ valid: false, expired: false, quote: null });
  });

  it("names each SKU the store has no price for", async () => {
    const storeId = Bun.randomUUIDv7();
    await setPrice(storeId, "GUM-1", 500);
    const response = await quote({
      userId: shopper,
      storeId,
      lines: [
        { sku: "GUM-1", quantity: 1 },
        { sku: "CAVIAR-1", quantity: 1 },
      ],
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { errors: unknown[] }).errors).toEqual([
      { path: "lines.1.sku", message: "CAVIAR-1 has no price in this store" },
    ]);
  });

  it("charges a store's own delivery fee instead of the default", async () => {
    const storeId = Bun.randomUUIDv7();
    await setPrice(storeId, "GUM-1", 500);
    const fees = await pricing.call("PUT", `/v1/admin/stores/${storeId}/fees`, {
      body: { deliveryFeeMinor: 2500 },
      user: admin,
    });
    expect(fees.status).toBe(200);
    const priced = (await (
      await quote({ userId: shopper, storeId, lines: [{ sku: "GUM-1", quantity: 1 }] })
    ).json()) as Quote;
    expect(priced).toMatchObject({ deliveryFeeMinor: 2500, totalMinor: 500 + 2500 + 990 });
  });

  it("adds the surge fee once the store's open orders reach the threshold, and drops it as they close", async () => {
    const storeId = Bun.randomUUIDv7();
    await setPrice(storeId, "GUM-1", 500);
    const surgeOf = async () =>
      (
        (await (
          await quote({ userId: shopper, storeId, lines: [{ sku: "GUM-1", quantity: 1 }] })
        ).json()) as Quote
      ).surgeFeeMinor;
    expect(await surgeOf()).toBe(0);
    const orderIds = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
    for (const orderId of orderIds) await publish(pricing, "OrderPlaced", orderPlaced(orderId, storeId));
    await until(async () => (await surgeOf()) === 1500);
    await publish(pricing, "OrderCancelled", {
      orderId: orderIds[0] as string,
      userId: shopper,
      storeId,
      reason: "CANCELLED_BY_SHOPPER",
    });
    await until(async () => (await surgeOf()) === 0);
  }, 30_000);
});

describe("coupon redemption", () => {
  it("gives exactly 10 of 50 concurrent redemptions of a coupon limited to 10", async () => {
    const code = uniqueCode();
    await createCoupon({ code, amountOffMinor: 1000, maxRedemptions: 10, maxPerShopper: 50 });
    const statuses = await Promise.all(Array.from({ length: 50 }, () => redeem(code).then((r) => r.status)));
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(40);
    const coupon = await db
      .selectFrom("coupons")
      .selectAll()
      .where("code", "=", code)
      .executeTakeFirstOrThrow();
    expect(coupon.redeemed).toBe(10);
    const rows = await db
      .selectFrom("coupon_redemptions")
      .select("order_id")
      .where("code", "=", code)
      .execute();
    expect(rows).toHaveLength(10);
  });

  it("redeems once per order however often the order asks", async () => {
    const code = uniqueCode();
    await createCoupon({ code, percentOff: 5, maxRedemptions: 3 });
    const orderId = Bun.randomUUIDv7();
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () => redeem(code, orderId).then((r) => r.status)),
    );
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
    const coupon = await db
      .selectFrom("coupons")
      .selectAll()
      .where("code", "=", code)
      .executeTakeFirstOrThrow();
    expect(coupon.redeemed).toBe(1);
  });

  it("answers 404 for an unknown coupon and 422 for an expired one", async () => {
    expect((await redeem(uniqueCode())).status).toBe(404);
    const code = uniqueCode();
    await createCoupon({ code, percentOff: 5, maxRedemptions: 3, ...window(-2 * hour, -hour) });
    const expired = await redeem(code);
    expect(expired.status).toBe(422);
    expect(((await expired.json()) as { type: string }).type).toContain("coupon_expired");
  });

  it("gives the use back when the order is rejected", async () => {
    const code = uniqueCode();
    await createCoupon({ code, amountOffMinor: 500, maxRedemptions: 1 });
    const orderId = Bun.randomUUIDv7();
    expect((await redeem(code, orderId)).status).toBe(201);
    expect((await redeem(code, Bun.randomUUIDv7(), Bun.randomUUIDv7())).status).toBe(409);
    await publish(pricing, "OrderRejected", {
      orderId,
      userId: shopper,
      storeId: Bun.randomUUIDv7(),
      reason: "PAYMENT_DECLINED",
      detail: null,
    });
    await until(async () => (await redeem(code)).status === 201);
  }, 30_000);

  it("lets a shopper use a coupon on one order only, however many they place at once; others still may", async () => {
    const code = uniqueCode();
    await createCoupon({ code, amountOffMinor: 500, maxRedemptions: 100 });
    const statuses = await Promise.all(Array.from({ length: 5 }, () => redeem(code).then((r) => r.status)));
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    const refused = await redeem(code);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { type: string }).type).toContain("coupon_used_by_shopper");
    expect((await redeem(code, Bun.randomUUIDv7(), Bun.randomUUIDv7())).status).toBe(201);
  });

  it("gives an order's use back when the order service releases it (the order was never placed)", async () => {
    const code = uniqueCode();
    await createCoupon({ code, amountOffMinor: 500, maxRedemptions: 1 });
    const orderId = Bun.randomUUIDv7();
    expect((await redeem(code, orderId)).status).toBe(201);
    const released = await pricing.call("DELETE", `/internal/v1/coupons/${code}/redemptions/${orderId}`);
    expect(released.status).toBe(204);
    expect((await redeem(code, Bun.randomUUIDv7(), Bun.randomUUIDv7())).status).toBe(201);
  });
});

function orderPlaced(orderId: string, storeId: string) {
  const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });
  return {
    orderId,
    userId: shopper,
    storeId,
    lines: [{ sku: "GUM-1", quantity: 1, unitPriceMinor: 500 }],
    subtotal: inr(500),
    deliveryFee: inr(1990),
    discount: inr(0),
    total: inr(2490),
    address: { line1: "1 Test Road", lat: 12.9, lng: 77.6 },
    couponCode: null,
  };
}
