import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { OrderView, Quote } from "@qc/contracts";
import { RedisClient } from "bun";
import { signQuote } from "../../shared/auth/quote-token";
import { redisKey } from "../../shared/cache/namespace";
import { registry } from "../../shared/telemetry/metrics";
import { outboxOf } from "../../shared/testing/messages";
import {
  address,
  admin,
  type CheckoutWorld,
  PRICE_MINOR,
  startCheckoutWorld,
  terminal,
} from "../support/checkout-world";
import { waitUntil } from "../support/wait";

const rider = (world: CheckoutWorld, orderId: string, status: string, riderUser: { userId: string }) =>
  world.call.delivery("POST", `/v1/deliveries/${orderId}/status`, {
    body: { status },
    user: { userId: riderUser.userId, roles: ["rider"] },
  });

describe("checkout across the real services", () => {
  let world: CheckoutWorld;
  beforeAll(async () => {
    world = await startCheckoutWorld({
      env: {
        ORDER_DEADLINE_AUTHORIZE_MS: "6000",
        ORDER_DEADLINE_DELIVERY_MS: "8000",
        PAYMENT_PROVIDER_TIMEOUT_MS: "1000",
        DELIVERY_ASSIGN_DEADLINE_MS: "1500",
      },
    });
  }, 60_000);
  afterAll(() => world.stop(), 60_000);

  it("takes a cart to CONFIRMED, commits stock once packed (no pick-up before), captures at delivery, keeps the ledger balanced", async () => {
    const storeId = await world.seedStore({ sku: "MILK-1L", onHand: 5, riders: 1 });
    const shopper = await world.shopperWithCart(storeId, "MILK-1L", 2);
    const orderId = await world.checkout(shopper, storeId);
    expect(await world.awaitStatus(orderId, terminal)).toBe("CONFIRMED");
    // Confirmed: stock held, payment authorized, nothing sold or captured yet.
    expect(await world.stock(storeId, "MILK-1L")).toMatchObject({ onHand: 5, reserved: 2, sold: 0 });
    expect(await world.paymentOf(orderId)).toMatchObject({ status: "AUTHORIZED", captures: 0 });

    const riderUserId = await world.riderOf(orderId);
    const early = await rider(world, orderId, "PICKED_UP", { userId: riderUserId });
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ type: "urn:quickcommerce:problem:not_packed" });
    await world.pack(orderId);
    await world.awaitStatus(orderId, ["PACKED"]);
    await waitUntil(async () => (await world.stock(storeId, "MILK-1L")).sold === 2, "stock committed");
    for (const status of ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"]) {
      const response = await rider(world, orderId, status, { userId: riderUserId });
      expect(response.status).toBeLessThan(300);
      await world.awaitStatus(orderId, [status as "DELIVERED"]);
    }
    expect(await world.stock(storeId, "MILK-1L")).toMatchObject({ onHand: 3, reserved: 0, sold: 2 });
    await waitUntil(async () => (await world.paymentOf(orderId))?.status === "CAPTURED", "payment captured");
    const view = (await (
      await world.call.order("GET", `/v1/orders/${orderId}`, { user: shopper })
    ).json()) as OrderView;
    expect(view.status).toBe("DELIVERED");
    expect(view.total.amountMinor).toBeGreaterThanOrEqual(2 * PRICE_MINOR);
    expect(view.etaMinutes).not.toBeNull();
    expect(await world.paymentOf(orderId)).toMatchObject({ status: "CAPTURED", captures: 1 });
    const ledger = await world.ledger();
    expect(ledger.balanced).toBe(true);
    expect(await world.heldOnCards()).toBe(0);
  }, 60_000);

  it("rejects OUT_OF_STOCK and voids the authorization made in parallel: nothing held", async () => {
    const storeId = await world.seedStore({ sku: "EGGS-12", onHand: 1, riders: 0 });
    const shopper = await world.shopperWithCart(storeId, "EGGS-12", 3);
    const orderId = await world.checkout(shopper, storeId);
    expect(await world.awaitStatus(orderId, terminal)).toBe("REJECTED");
    const view = (await (
      await world.call.order("GET", `/v1/orders/${orderId}`, { user: shopper })
    ).json()) as OrderView;
    expect(view.reason).toBe("OUT_OF_STOCK");
    // The failed stock branch compensates the payment branch that succeeded beside it.
    await waitUntil(async () => (await world.paymentOf(orderId))?.status === "VOIDED", "payment voided");
    await waitUntil(async () => (await world.heldOnCards()) === 0, "no money held on cards");
    expect((await world.ledger()).balanced).toBe(true);
    expect(await world.stock(storeId, "EGGS-12")).toMatchObject({ available: 1, reserved: 0 });
  }, 30_000);

  it("releases the reservation when payment is declined", async () => {
    const storeId = await world.seedStore({ sku: "RICE-5KG", onHand: 4, riders: 0 });
    const shopper = await world.shopperWithCart(storeId, "RICE-5KG", 2);
    const orderId = await world.checkout(shopper, storeId, "tok_declined");
    expect(await world.awaitStatus(orderId, terminal)).toBe("REJECTED");
    const view = (await (
      await world.call.order("GET", `/v1/orders/${orderId}`, { user: shopper })
    ).json()) as OrderView;
    expect(view.reason).toBe("PAYMENT_DECLINED");
    await waitUntil(async () => (await world.stock(storeId, "RICE-5KG")).available === 4, "stock released");
    expect(await world.stock(storeId, "RICE-5KG")).toMatchObject({ onHand: 4, reserved: 0, sold: 0 });
  }, 30_000);

  it("compensates a provider timeout so nothing stays authorized", async () => {
    const storeId = await world.seedStore({ sku: "OIL-1L", onHand: 4, riders: 0 });
    const shopper = await world.shopperWithCart(storeId, "OIL-1L", 1);
    const orderId = await world.checkout(shopper, storeId, "tok_timeout");
    expect(await world.awaitStatus(orderId, terminal)).toBe("REJECTED");
    await waitUntil(async () => (await world.stock(storeId, "OIL-1L")).available === 4, "stock released");
    // The provider answers tok_timeout late; the saga's void must win over the late authorization.
    await waitUntil(
      async () => (await world.paymentOf(orderId))?.status !== "AUTHORIZED",
      "authorization voided",
      20_000,
    );
    expect((await world.paymentOf(orderId))?.captures ?? 0).toBe(0);
    await waitUntil(async () => (await world.heldOnCards()) === 0, "no money held on cards", 20_000);
    expect((await world.ledger()).balanced).toBe(true);
  }, 60_000);

  it("voids the payment and releases stock when no rider can take the order", async () => {
    const storeId = await world.seedStore({ sku: "SUGAR-1KG", onHand: 3, riders: 0 });
    const shopper = await world.shopperWithCart(storeId, "SUGAR-1KG", 1);
    const orderId = await world.checkout(shopper, storeId);
    expect(await world.awaitStatus(orderId, terminal)).toBe("REJECTED");
    const view = (await (
      await world.call.order("GET", `/v1/orders/${orderId}`, { user: shopper })
    ).json()) as OrderView;
    expect(view.reason).toBe("NO_RIDER");
    await waitUntil(async () => (await world.paymentOf(orderId))?.status === "VOIDED", "payment voided");
    await waitUntil(async () => (await world.stock(storeId, "SUGAR-1KG")).available === 3, "stock released");
    expect(await world.stock(storeId, "SUGAR-1KG")).toMatchObject({ onHand: 3, sold: 0, reserved: 0 });
  }, 30_000);
  it("routes a cancel while PENDING through compensation: CANCELLED, stock back, nothing held", async () => {
    const storeId = await world.seedStore({ sku: "TEA-250G", onHand: 2, riders: 1 });
    const shopper = await world.shopperWithCart(storeId, "TEA-250G", 1);
    const orderId = await world.checkout(shopper, storeId);
    const cancel = await world.call.order("POST", `/v1/orders/${orderId}/cancel`, { user: shopper });
    expect(cancel.status).toBe(202);
    expect(await world.awaitStatus(orderId, terminal)).toBe("CANCELLED");
    await waitUntil(async () => (await world.stock(storeId, "TEA-250G")).available === 2, "stock released");
    await waitUntil(async () => (await world.heldOnCards()) === 0, "no money held on cards");
    expect((await world.paymentOf(orderId))?.captures ?? 0).toBe(0);
  }, 30_000);

  it("cancels a confirmed order before pick-up by voiding the hold, and refuses once the rider has it", async () => {
    const storeId = await world.seedStore({ sku: "SOAP-100G", onHand: 2, riders: 1 });
    const first = await world.shopperWithCart(storeId, "SOAP-100G", 1);
    const firstOrder = await world.checkout(first, storeId);
    expect(await world.awaitStatus(firstOrder, terminal)).toBe("CONFIRMED");
    expect((await world.call.order("POST", `/v1/orders/${firstOrder}/cancel`, { user: first })).status).toBe(
      202,
    );
    expect(await world.awaitStatus(firstOrder, ["CANCELLED"])).toBe("CANCELLED");
    await waitUntil(
      async () => (await world.paymentOf(firstOrder))?.status === "VOIDED",
      "authorization voided",
    );
    await waitUntil(
      async () => (await world.stock(storeId, "SOAP-100G")).available === 2,
      "stock back on the shelf",
    );

    // The one rider is free again, so a second order confirms; once picked up it cannot be cancelled.
    const second = await world.shopperWithCart(storeId, "SOAP-100G", 1);
    const secondOrder = await world.checkout(second, storeId);
    expect(await world.awaitStatus(secondOrder, terminal)).toBe("CONFIRMED");
    await world.pack(secondOrder);
    expect(
      (await rider(world, secondOrder, "PICKED_UP", { userId: await world.riderOf(secondOrder) })).status,
    ).toBe(200);
    await world.awaitStatus(secondOrder, ["PICKED_UP"]);
    expect(
      (await world.call.order("POST", `/v1/orders/${secondOrder}/cancel`, { user: second })).status,
    ).toBe(409);
    expect((await world.ledger()).balanced).toBe(true);
  }, 60_000);

  it("charges the quote the cart kept, as pricing signed it and while it holds, without asking pricing again", async () => {
    const quotesPriced = async () =>
      ((await registry.getSingleMetric("grpc_server_handled_total")?.get())?.values ?? [])
        .filter((value) => value.labels.service === "pricing" && value.labels.grpc_method === "QuoteCart")
        .reduce((sum, value) => sum + value.value, 0);
    const storeId = await world.seedStore({ sku: "TEA-250", onHand: 8, riders: 5 });
    const shopper = () => world.shopperWithCart(storeId, "TEA-250", 1);
    const kept = await shopper();
    const tampered = await shopper();
    const forged = await shopper();
    const lapsing = await shopper();
    const otherLines = await shopper();
    // The price rises after every cart was quoted.
    await world.stockSku(storeId, { sku: "TEA-250", onHand: 8, priceMinor: PRICE_MINOR + 1_000 });
    const redis = new RedisClient(world.env.config.REDIS_URL);
    const keyOf = (user: { userId: string }) =>
      redisKey(world.env.config, "cart", user.userId, storeId, "meta");
    const keptQuote = async (user: { userId: string }) =>
      JSON.parse((await redis.hget(keyOf(user), "q")) ?? "null") as Quote;
    const replace = async (user: { userId: string }, quote: Quote) =>
      redis.hset(keyOf(user), "q", JSON.stringify(quote));
    const resign = (quote: Quote, change: Partial<Quote>, secret = world.env.config.PRICING_QUOTE_SECRET) => {
      const { token: _token, ...unsigned } = { ...quote, ...change };
      return signQuote(unsigned, secret);
    };
    expect((await keptQuote(kept)).lines).toEqual([
      expect.objectContaining({ sku: "TEA-250", unitPriceMinor: PRICE_MINOR }),
    ]);
    // The copy beside the token says 1; the token says what pricing quoted.
    const copy = await keptQuote(tampered);
    await replace(tampered, { ...copy, lines: copy.lines.map((line) => ({ ...line, unitPriceMinor: 1 })) });
    // Signed by someone else, at 1: not pricing's.
    await replace(forged, resign(await keptQuote(forged), { totalMinor: 1 }, "not-the-pricing-secret"));
    // Pricing's, with a second left: it would lapse while the order is written.
    await replace(
      lapsing,
      resign(await keptQuote(lapsing), { expiresAt: new Date(Date.now() + 1_000).toISOString() }),
    );
    // Pricing's, for two units (another shopper's write raced it): not this cart's lines.
    const two = await keptQuote(otherLines);
    await replace(otherLines, resign(two, { lines: two.lines.map((line) => ({ ...line, quantity: 2 })) }));
    redis.close();

    const charged = async (user: typeof kept) => {
      const before = await quotesPriced();
      const orderId = await world.checkout(user, storeId);
      // OrderPlaced names the cart version it was placed from: the cart gives up those lines only.
      const [placed] = await outboxOf(world.orders, orderId, "OrderPlaced");
      expect(placed?.data).toMatchObject({ cartVersion: 1 });
      const response = await world.call.order("GET", `/v1/orders/${orderId}`, { user });
      const order = (await response.json()) as OrderView;
      return [
        order.lines.map((line) => [line.quantity, line.unitPrice.amountMinor]),
        (await quotesPriced()) - before,
      ];
    };
    expect(await charged(kept)).toEqual([[[1, PRICE_MINOR]], 0]);
    expect(await charged(tampered)).toEqual([[[1, PRICE_MINOR]], 0]);
    expect(await charged(forged)).toEqual([[[1, PRICE_MINOR + 1_000]], 1]);
    expect(await charged(lapsing)).toEqual([[[1, PRICE_MINOR + 1_000]], 1]);
    expect(await charged(otherLines)).toEqual([[[1, PRICE_MINOR + 1_000]], 1]);
  }, 60_000);

  it("spends one coupon use per order however often it is sent, one order per shopper, and gives it back on cancel", async () => {
    const storeId = await world.seedStore({ sku: "JAM-1", onHand: 10, riders: 5 });
    const code = `JAM${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    const now = Date.now();
    const created = await world.call.pricing("POST", "/v1/admin/coupons", {
      body: {
        code,
        amountOffMinor: 100,
        maxRedemptions: 10,
        validFrom: new Date(now - 60_000).toISOString(),
        validTo: new Date(now + 3_600_000).toISOString(),
      },
      user: admin,
    });
    expect(created.status).toBe(201);
    const pricing = world.env.db("pricing");
    const redeemed = async () =>
      (
        await pricing
          .selectFrom("coupons")
          .select("redeemed")
          .where("code", "=", code)
          .executeTakeFirstOrThrow()
      ).redeemed as number;
    const shopper = await world.shopperWithCart(storeId, "JAM-1");
    const place = (token: string, key: string) =>
      world.call.order("POST", "/v1/orders", {
        body: { storeId, address, payment: { token }, couponCode: code },
        user: shopper,
        headers: { "idempotency-key": key },
      });

    // The same request five times at once: one order, one use.
    const key = crypto.randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => place("tok_visa", key)));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    const ids = new Set(
      await Promise.all(
        answers.map(async (answer) => ((await answer.json()) as { orderId: string }).orderId),
      ),
    );
    expect(ids.size).toBe(1);
    expect(await redeemed()).toBe(1);

    // Placing cleared the cart: fill it again once the clear arrived.
    const refill = async () => {
      await waitUntil(async () => {
        const cart = (await (
          await world.call.cart("GET", `/v1/cart?storeId=${storeId}`, { user: shopper })
        ).json()) as { lines: unknown[] };
        return cart.lines.length === 0;
      }, "the cart cleared by the order");
      const put = await world.call.cart("PUT", "/v1/cart/items/JAM-1", {
        body: { storeId, quantity: 1 },
        user: shopper,
      });
      expect(put.ok).toBe(true);
    };
    await refill();
    // While it holds the use, the same shopper cannot use the coupon on another order.
    const again = await place("tok_visa", crypto.randomUUID());
    expect(again.status).toBe(422);
    expect(((await again.json()) as { type: string }).type).toContain("coupon_used_by_shopper");

    // The shopper cancels the first order: the use comes back, so they may use it again.
    const [orderId = ""] = [...ids];
    expect(await world.awaitStatus(orderId, terminal)).toBe("CONFIRMED");
    expect((await world.call.order("POST", `/v1/orders/${orderId}/cancel`, { user: shopper })).status).toBe(
      202,
    );
    expect(await world.awaitStatus(orderId, ["CANCELLED"])).toBe("CANCELLED");
    await waitUntil(async () => (await redeemed()) === 0, "the coupon use given back");
    // The refused attempt placed nothing, so its cart is still full.
    expect((await place("tok_visa", crypto.randomUUID())).status).toBe(202);
    expect(await redeemed()).toBe(1);
  }, 60_000);

  it("lets an operator stock a store the moment it is created: riders, product, price, stock and an order all succeed the first time", async () => {
    const created = await world.call.catalog("POST", "/v1/admin/stores", {
      body: {
        name: "Fresh store",
        location: { lat: address.lat, lng: address.lng },
        serviceRadiusMeters: 3_000,
      },
      user: admin,
    });
    expect(created.status).toBe(201);
    const { storeId } = (await created.json()) as { storeId: string };
    const statuses = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        world.call
          .delivery("POST", `/v1/admin/stores/${storeId}/riders`, {
            body: { name: `Rider ${i}`, userId: crypto.randomUUID() },
            user: admin,
          })
          .then((response) => response.status),
      ),
    );
    expect(statuses).toEqual(Array(25).fill(201));

    // A product with its price in the new store reads at once, priced, without waiting for PriceChanged.
    const sku = `NEW-${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    const price = { amountMinor: 349, currency: "INR" };
    const product = await world.call.catalog("POST", "/v1/admin/products", {
      body: { sku, name: "Fresh basil", category: "Herbs", unit: "30 g", prices: [{ storeId, price }] },
      user: admin,
    });
    expect(product.status).toBe(200);
    const read = await world.call.catalog("GET", `/v1/catalog/products/${sku}?storeId=${storeId}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ sku, storeId, price });
    const stocked = await world.call.inventory("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, {
      body: { onHand: 10 },
      user: admin,
    });
    expect(stocked.status).toBe(200);

    const shopper = await world.shopperWithCart(storeId, sku, 2);
    const orderId = await world.checkout(shopper, storeId);
    expect(await world.awaitStatus(orderId, terminal)).toBe("CONFIRMED");
  }, 60_000);
});
