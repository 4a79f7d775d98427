import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { CartLines, type CartView } from "@qc/contracts";
import { Cart } from "@qc/contracts/grpc/services";
import { SignJWT } from "jose";
import { type Kysely, sql } from "kysely";
import { inventoryService } from "../inventory/main";
import { pricingService } from "../pricing/main";
import { pricingParts } from "../pricing/wiring";
import { closeGrpcClients, type GrpcCaller, grpcClient } from "../shared/grpc/client";
import { registry } from "../shared/telemetry/metrics";
import { awaitOutbox, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import { createCartStore } from "./db/cart-store";
import type { Database } from "./db/schema";
import { cartService } from "./main";
import { startWriteBehind } from "./use-cases/write-behind";
import { cartParts } from "./wiring";

const admin = { userId: Bun.randomUUIDv7(), roles: ["admin" as const] };
const storeId = Bun.randomUUIDv7();

let env: TestEnvironment;
let pricing: TestService;
let inventory: TestService;
let cart: TestService;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await testEnvironment({ database: "qc_test_pricing_cart", env: { CART_FLUSH_INTERVAL_MS: "50" } });
  pricing = await env.start(pricingService);
  inventory = await env.start(inventoryService);
  cart = await env.start(cartService);
  db = env.db("cart");
  for (const [sku, amountMinor] of [
    ["MILK-1L", 3000],
    ["EGGS-12", 7000],
    ["BREAD-1", 4000],
  ] as const)
    await pricing.call("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, {
      body: { price: { amountMinor, currency: "INR" } },
      user: admin,
    });
  for (const [sku, onHand] of [
    ["MILK-1L", 20],
    ["EGGS-12", 1],
    ["BREAD-1", 20],
  ] as const)
    await inventory.call("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, {
      body: { onHand },
      user: admin,
    });
}, 60_000);
afterAll(async () => {
  for (const caller of callers) closeGrpcClients(caller);
  await env.stop();
}, 30_000);

const shopper = () => ({ userId: Bun.randomUUIDv7(), roles: ["shopper" as const] });
type Shopper = ReturnType<typeof shopper>;
const put = (user: Shopper, sku: string, quantity: number) =>
  cart.call("PUT", `/v1/cart/items/${sku}`, { body: { storeId, quantity }, user });
const read = async (user: Shopper) => {
  const response = await cart.call("GET", `/v1/cart?storeId=${storeId}`, { user });
  expect(response.status).toBe(200);
  return (await response.json()) as CartView;
};
/** The cart's lines as order reads them at checkout: Cart/GetCartLines over gRPC, signed with `config`. */
const callers: GrpcCaller[] = [];
const internalCart = (userId: string, config = env.config) => {
  const order = { name: "order" as const, config };
  callers.push(order);
  const cartRpc = grpcClient(order, { callee: "cart", service: Cart }, { deadlineMs: 1_000 });
  return cartRpc.call("getCartLines", { userId, storeId }, CartLines);
};
const internalLines = async (userId: string, config = env.config) =>
  (await internalCart(userId, config)).lines;
const newGuest = async () => {
  const response = await cart.call("POST", "/v1/cart/guest");
  expect(response.status).toBe(201);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return ((await response.json()) as { guestToken: string }).guestToken;
};
const asGuest = (guestToken: string) => ({ headers: { "X-Guest-Token": guestToken } });
const until = async (check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(50);
  }
};
// xmin names the transaction that wrote the row.
const rowsOf = (userIds: string[]) =>
  db
    .selectFrom("carts")
    .select(["user_id", "lines", sql<string>`xmin::text`.as("xmin")])
    .where("user_id", "in", userIds)
    .where("store_id", "=", storeId)
    .orderBy("user_id")
    .execute();
const storedCart = (userId: string) =>
  db
    .selectFrom("carts")
    .selectAll()
    .where("user_id", "=", userId)
    .where("store_id", "=", storeId)
    .executeTakeFirst();

describe("cart", () => {
  it("re-prices the cart at read and marks a line the store cannot fill", async () => {
    const user = shopper();
    expect((await put(user, "MILK-1L", 2)).status).toBe(200);
    expect((await put(user, "EGGS-12", 3)).status).toBe(200);
    const view = await read(user);
    expect(
      view.lines.map((line) => [line.sku, line.quantity, line.unitPrice.amountMinor, line.outOfStock]),
    ).toEqual([
      ["EGGS-12", 3, 7000, true],
      ["MILK-1L", 2, 3000, false],
    ]);
    expect(view).toMatchObject({
      subtotal: { amountMinor: 27_000, currency: "INR" },
      deliveryFee: { amountMinor: 1990 },
      smallCartFee: { amountMinor: 0 },
      total: { amountMinor: 28_990 },
      hasOutOfStock: true,
      availability: "known",
    });
    expect(view.quote?.token).toBeString();
  });

  it("refuses more than 10 of one SKU with a 422 naming quantity", async () => {
    const response = await put(shopper(), "MILK-1L", 11);
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(((await response.json()) as { errors: { path: string; message: string }[] }).errors).toEqual([
      { path: "quantity", message: "must be at most 10" },
    ]);
  });

  it("refuses a SKU the store does not sell, and writes nothing", async () => {
    const user = shopper();
    await put(user, "MILK-1L", 1);
    const response = await put(user, "CAVIAR-1", 1);
    expect(response.status).toBe(422);
    expect(((await response.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("sku");
    expect((await read(user)).lines.map((line) => line.sku)).toEqual(["MILK-1L"]);
  });

  it("prices a cart write with one quote: the cart as the write leaves it", async () => {
    const quotes = async () => {
      const metric = registry.getSingleMetric("grpc_server_handled_total");
      const values = metric ? (await metric.get()).values : [];
      return values
        .filter((value) => value.labels.service === "pricing" && value.labels.grpc_method === "QuoteCart")
        .reduce((sum, value) => sum + value.value, 0);
    };
    const user = shopper();
    await put(user, "MILK-1L", 1);
    const before = await quotes();
    const response = await put(user, "BREAD-1", 2);
    expect(response.status).toBe(200);
    expect(await quotes()).toBe(before + 1);
    const view = (await response.json()) as CartView;
    expect(view.lines.map((line) => [line.sku, line.quantity, line.lineTotal.amountMinor])).toEqual([
      ["MILK-1L", 1, 3000],
      ["BREAD-1", 2, 8000],
    ]);
    expect(view.subtotal.amountMinor).toBe(11000);
  });

  it("keeps the quote the shopper was last shown, by a write or a read, for checkout to charge", async () => {
    const user = shopper();
    await put(user, "MILK-1L", 2);
    const view = (await (await put(user, "BREAD-1", 1)).json()) as CartView;
    const { lines, quote } = await internalCart(user.userId);
    expect(lines).toEqual([
      { sku: "BREAD-1", quantity: 1 },
      { sku: "MILK-1L", quantity: 2 },
    ]);
    expect(quote).toMatchObject({ userId: user.userId, storeId, totalMinor: view.total.amountMinor });
    expect(quote?.token).toBe(view.quote?.token as string);
    expect(quote?.lines.map((line) => [line.sku, line.quantity, line.unitPriceMinor])).toEqual([
      ["MILK-1L", 2, 3000],
      ["BREAD-1", 1, 4000],
    ]);
    // A read re-prices the cart: its quote is the one kept now.
    const shown = (await read(user)).quote?.token;
    expect((await internalCart(user.userId)).quote?.token).toBe(shown as string);
    expect(shown).not.toBe(quote?.token);

    // A copy that does not parse is no quote.
    const { store } = cartParts(cart.ctx as never);
    const key = store.hashKey({ userId: user.userId, storeId });
    await cart.ctx.redis.hset(store.metaKey({ userId: user.userId, storeId }), "q", "{not json");
    expect(await internalCart(user.userId)).toMatchObject({ lines: { length: 2 }, quote: undefined });

    // The next write replaces the quote; a cart reloaded from Postgres has none.
    await put(user, "EGGS-12", 1);
    expect((await internalCart(user.userId)).quote?.lines).toHaveLength(3);
    await until(async () => (await storedCart(user.userId))?.version === 3);
    await cart.ctx.redis.del(key);
    expect(await internalCart(user.userId)).toMatchObject({ lines: { length: 3 }, quote: undefined });
  });

  it("writes the cart behind to Postgres, with events, and survives the loss of its Redis keys", async () => {
    const user = shopper();
    await put(user, "MILK-1L", 2);
    await put(user, "BREAD-1", 1);
    await put(user, "MILK-1L", 0);
    await until(async () => (await storedCart(user.userId))?.version === 3);
    expect((await storedCart(user.userId))?.lines).toEqual([{ sku: "BREAD-1", quantity: 1 }]);
    const events = await awaitOutbox(db, `${user.userId}:${storeId}`, "CartItemSet", { count: 3 });
    expect(events.map((event) => event.data)).toContainEqual({
      userId: user.userId,
      storeId,
      sku: "MILK-1L",
      quantity: 0,
    });

    // Redis loses the cart (only this cart's key: other engineers share this Redis).
    const { store } = cartParts(cart.ctx as never);
    const key = store.hashKey({ userId: user.userId, storeId });
    await cart.ctx.redis.del(key);
    expect(await cart.ctx.redis.exists(key)).toBe(false);

    expect(await internalLines(user.userId)).toEqual([{ sku: "BREAD-1", quantity: 1 }]);
    expect(await cart.ctx.redis.exists(key)).toBe(true); // put back into Redis
    // Later writes continue from the stored version rather than starting over.
    await put(user, "EGGS-12", 1);
    await until(async () => (await storedCart(user.userId))?.version === 4);
    expect((await read(user)).lines.map((line) => line.sku)).toEqual(["BREAD-1", "EGGS-12"]);
  });

  it("stores the writes of many carts queued within one interval in one transaction, each with its event", async () => {
    // A stream of its own (another key prefix), so the service's running worker cannot take these writes
    // before the worker under test starts with all of them queued.
    const ctx = { ...cart.ctx, config: { ...cart.ctx.config, TOPIC_PREFIX: `wb-${Bun.randomUUIDv7()}` } };
    const store = createCartStore(ctx as never);
    const users = [shopper(), shopper(), shopper(), shopper()];
    for (const [i, user] of users.entries())
      await store.setQuantity({ userId: user.userId, storeId }, "MILK-1L", i + 1, `corr-${i}`);
    await store.clear({ userId: users[0]?.userId ?? "", storeId }, "corr-clear");

    const worker = await startWriteBehind(ctx as never, store);
    try {
      const ids = users.map((user) => user.userId);
      await until(async () => (await rowsOf(ids)).length === users.length);
      const rows = await rowsOf(ids);
      expect(new Set(rows.map((row) => row.xmin)).size).toBe(1);
      const expected = users.map((user, i) => ({
        user_id: user.userId,
        lines: i === 0 ? [] : [{ sku: "MILK-1L", quantity: i + 1 }],
      }));
      expect(rows.map(({ user_id, lines }) => ({ user_id, lines }))).toEqual(
        expected.sort((a, b) => (a.user_id < b.user_id ? -1 : 1)),
      );
      const cleared = await awaitOutbox(db, `${users[0]?.userId}:${storeId}`, "CartCleared");
      expect(cleared).toHaveLength(1);
      expect(await ctx.redis.send("XLEN", [store.stream])).toBe(0);
    } finally {
      await worker.stop();
      await ctx.redis.del(store.stream);
    }
  });

  it("merges a guest cart into the shopper's, capped at the limit, and empties the guest cart", async () => {
    const user = shopper();
    const guestToken = await newGuest();
    await put(user, "MILK-1L", 8);
    for (const [sku, quantity] of [
      ["MILK-1L", 5],
      ["BREAD-1", 2],
    ] as const)
      expect(
        (
          await cart.call("PUT", `/v1/cart/items/${sku}`, {
            body: { storeId, quantity },
            ...asGuest(guestToken),
          })
        ).status,
      ).toBe(200);
    const guestView = (await (
      await cart.call("GET", `/v1/cart?storeId=${storeId}`, asGuest(guestToken))
    ).json()) as CartView;
    expect(guestView.lines).toHaveLength(2);
    const response = await cart.call("POST", "/v1/cart/merge", { body: { guestToken, storeId }, user });
    expect(response.status).toBe(200);
    const view = (await response.json()) as CartView;
    expect(view.lines.map((line) => [line.sku, line.quantity])).toEqual([
      ["BREAD-1", 2],
      ["MILK-1L", 10],
    ]);
    const after = (await (
      await cart.call("GET", `/v1/cart?storeId=${storeId}`, asGuest(guestToken))
    ).json()) as CartView;
    expect(after.lines).toEqual([]);
  });

  it("never lets a merge name another shopper's cart (issue 11, item 2)", async () => {
    const [victim, attacker] = [shopper(), shopper()];
    await put(victim, "MILK-1L", 3);
    const byId = await cart.call("POST", "/v1/cart/merge", {
      body: { guestId: victim.userId, storeId },
      user: attacker,
    });
    expect(byId.status).toBe(400);
    // A token cart did not sign (here: one minted with another secret) names no cart either.
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(victim.userId)
      .setIssuer("quickcommerce-cart")
      .setAudience("quickcommerce-guest-cart")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-guest-token-secret-at-all"));
    const byForgedToken = await cart.call("POST", "/v1/cart/merge", {
      body: { guestToken: forged, storeId },
      user: attacker,
    });
    expect(byForgedToken.status).toBe(422);
    expect((await read(victim)).lines.map((line) => [line.sku, line.quantity])).toEqual([["MILK-1L", 3]]);
    expect((await read(attacker)).lines).toEqual([]);
  });

  it("answers a cart request with neither a user nor a guest token with 401", async () => {
    expect((await cart.call("GET", `/v1/cart?storeId=${storeId}`)).status).toBe(401);
    expect(
      (await cart.call("GET", `/v1/cart?storeId=${storeId}`, asGuest("a.b.c-not-a-real-token"))).status,
    ).toBe(401);
  });

  it("answers a cart's lines only to a signed core service (issue 11, item 4), and no longer over HTTP", async () => {
    const user = shopper();
    await put(user, "MILK-1L", 2);
    const forger = { ...env.config, SERVICE_AUTH_SECRET: "a-secret-nobody-in-core-has" };
    expect(await internalLines(user.userId, forger).catch((error) => error)).toMatchObject({ status: 401 });
    expect(await internalLines(user.userId)).toEqual([{ sku: "MILK-1L", quantity: 2 }]);
    const overHttp = await cart.call("GET", `/internal/v1/carts/${user.userId}/${storeId}`, {
      caller: "order",
    });
    expect(overHttp.status).toBe(404);
  });

  it("empties the cart on DELETE", async () => {
    const user = shopper();
    await put(user, "MILK-1L", 1);
    const response = await cart.call("DELETE", `/v1/cart?storeId=${storeId}`, { user });
    expect(response.status).toBe(204);
    expect((await read(user)).lines).toEqual([]);
    await awaitOutbox(db, `${user.userId}:${storeId}`, "CartCleared");
  });

  const orderPlaced = (user: Shopper, cartVersion?: number) =>
    publish(cart, "OrderPlaced", {
      orderId: Bun.randomUUIDv7(),
      userId: user.userId,
      storeId,
      lines: [{ sku: "BREAD-1", quantity: 2, unitPriceMinor: 4000 }],
      subtotal: { amountMinor: 8000, currency: "INR" },
      deliveryFee: { amountMinor: 1990, currency: "INR" },
      discount: { amountMinor: 0, currency: "INR" },
      total: { amountMinor: 10_980, currency: "INR" },
      address: { line1: "1 Test Road", lat: 12.9, lng: 77.6 },
      couponCode: null,
      ...(cartVersion !== undefined && { cartVersion }),
    });

  it("empties the shopper's cart in that store when an order is placed", async () => {
    const user = shopper();
    await put(user, "BREAD-1", 2);
    await orderPlaced(user, (await internalCart(user.userId)).version);
    await until(async () => (await internalLines(user.userId)).length === 0, 20_000);
    await awaitOutbox(db, `${user.userId}:${storeId}`, "CartCleared");
    // An OrderPlaced from before the cart's version was sent empties the cart whatever it holds.
    await put(user, "MILK-1L", 1);
    await orderPlaced(user);
    await until(async () => (await internalLines(user.userId)).length === 0, 20_000);
  }, 30_000);

  it("keeps what the shopper wrote after the order read the cart, and takes only the order's lines", async () => {
    const user = shopper();
    await put(user, "BREAD-1", 2);
    await put(user, "EGGS-12", 1);
    const read = await internalCart(user.userId);
    expect(read.lines).toHaveLength(2);
    // After the order read the cart, before its OrderPlaced arrives: one line changed, one added.
    await put(user, "EGGS-12", 3);
    await put(user, "MILK-1L", 1);
    await orderPlaced(user, read.version);
    await until(async () => (await internalLines(user.userId)).length === 2, 20_000);
    expect(await internalLines(user.userId)).toEqual([
      { sku: "EGGS-12", quantity: 3 },
      { sku: "MILK-1L", quantity: 1 },
    ]);
    // What stays is what Postgres keeps too: BREAD-1's removal is written behind as a write of quantity 0.
    const itemSet = await awaitOutbox(db, `${user.userId}:${storeId}`, "CartItemSet", { count: 5 });
    expect(itemSet.map((event) => event.data)).toContainEqual({
      userId: user.userId,
      storeId,
      sku: "BREAD-1",
      quantity: 0,
    });
    await until(async () => (await storedCart(user.userId))?.lines.length === 2);
    expect((await storedCart(user.userId))?.lines).toEqual([
      { sku: "EGGS-12", quantity: 3 },
      { sku: "MILK-1L", quantity: 1 },
    ]);
  }, 30_000);

  it("keeps a cart readable when the store stops pricing one of its SKUs, showing that line as unavailable", async () => {
    const user = shopper();
    await pricing.call("PUT", `/v1/admin/stores/${storeId}/prices/JAM-1`, {
      body: { price: { amountMinor: 2500, currency: "INR" } },
      user: admin,
    });
    await put(user, "JAM-1", 1);
    await put(user, "MILK-1L", 1);
    // Pricing has no route to withdraw a price yet: remove the row and its cached copies directly.
    await env
      .db("pricing")
      .deleteFrom("prices")
      .where("store_id", "=", storeId)
      .where("sku", "=", "JAM-1")
      .execute();
    await pricingParts(pricing.ctx as never).prices.cache.delete(`${storeId}:JAM-1`);

    const view = await read(user);
    expect(view.lines.map((line) => [line.sku, line.outOfStock, line.lineTotal.amountMinor])).toEqual([
      ["JAM-1", true, 0],
      ["MILK-1L", false, 3000],
    ]);
    expect(view.subtotal.amountMinor).toBe(3000);
    // A write or read that leaves a line pricing cannot price keeps no quote: checkout must ask pricing (and
    // refuse).
    expect((await put(user, "MILK-1L", 2)).status).toBe(200);
    expect(await internalCart(user.userId)).toMatchObject({ lines: { length: 2 }, quote: undefined });
  });

  it("still shows the cart, flagged availability unknown, when inventory is down", async () => {
    const user = shopper();
    await put(user, "MILK-1L", 1);
    await inventory.stop();
    const view = await read(user);
    expect(view).toMatchObject({
      availability: "unknown",
      hasOutOfStock: false,
      total: { amountMinor: 3000 + 1990 + 990 },
    });
    expect(view.lines[0]).toMatchObject({ sku: "MILK-1L", outOfStock: false });
  });
});
