import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type CheckoutWorld, startCheckoutWorld, terminal } from "../support/checkout-world";
import { waitUntil } from "../support/wait";

const shoppers = 200;
const units = 20;
const sku = "HOT-MANGO";

describe("200 shoppers racing for 20 units of one SKU", () => {
  let world: CheckoutWorld;
  beforeAll(async () => {
    // Generous deadlines: under this burst every rejection must come from stock, never from a timer.
    world = await startCheckoutWorld({
      env: {
        ORDER_DEADLINE_RESERVE_MS: "60000",
        ORDER_DEADLINE_AUTHORIZE_MS: "60000",
        ORDER_DEADLINE_COMMIT_MS: "60000",
        ORDER_DEADLINE_DELIVERY_MS: "60000",
        ORDER_DEADLINE_CAPTURE_MS: "60000",
      },
    });
  }, 60_000);
  afterAll(() => world.stop(), 60_000);

  it("confirms exactly 20, rejects 180, never oversells and balances the ledger", async () => {
    const storeId = await world.seedStore({ sku, onHand: units, riders: units + 5 });
    const buyers = [];
    for (let i = 0; i < shoppers; i += 20) {
      buyers.push(
        ...(await Promise.all(Array.from({ length: 20 }, () => world.shopperWithCart(storeId, sku, 1)))),
      );
    }

    let lowestAvailable = units;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const level = await world.stock(storeId, sku);
        lowestAvailable = Math.min(lowestAvailable, level.available, level.reserved, level.onHand);
        await Bun.sleep(20);
      }
    })();

    const orderIds = await Promise.all(buyers.map((buyer) => world.checkout(buyer, storeId)));
    const outcomes = await Promise.all(orderIds.map((id) => world.awaitStatus(id, terminal, 120_000)));
    sampling = false;
    await sampler;

    expect(outcomes.filter((status) => status === "CONFIRMED")).toHaveLength(units);
    expect(outcomes.filter((status) => status === "REJECTED")).toHaveLength(shoppers - units);
    const reasons = await world.orders
      .selectFrom("order_views")
      .select("reason")
      .where("order_id", "in", orderIds)
      .where("status", "=", "REJECTED")
      .execute();
    expect(new Set(reasons.map((row) => row.reason))).toEqual(new Set(["OUT_OF_STOCK"]));
    // Confirmed orders hold their units until pick-up: nothing left to sell, nothing sold yet.
    expect(await world.stock(storeId, sku)).toEqual({
      onHand: units,
      reserved: units,
      sold: 0,
      available: 0,
    });
    expect(lowestAvailable).toBeGreaterThanOrEqual(0);

    // The losers' authorizations (made in parallel with their reservations) are voided; the winners' held.
    const authorized = async () =>
      (await Promise.all(orderIds.map((id) => world.paymentOf(id)))).filter(
        (payment) => payment?.status === "AUTHORIZED",
      ).length;
    await waitUntil(async () => (await authorized()) === units, "the losers' authorizations voided", 30_000);
    const payments = await Promise.all(orderIds.map((id) => world.paymentOf(id)));
    expect(payments.every((payment) => (payment?.captures ?? 0) === 0)).toBe(true);
    const owed = await world.owedHolds(orderIds);
    await waitUntil(async () => (await world.heldOnCards()) === owed, "only the winners' totals held");
    expect((await world.ledger()).balanced).toBe(true);
  }, 170_000);
});
