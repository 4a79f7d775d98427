import { afterEach, describe, expect, it } from "bun:test";
import { type CheckoutWorld, startCheckoutWorld, terminal } from "../support/checkout-world";
import { waitUntil } from "../support/wait";

// Deadlines longer than a restart plus the consumer group's rebalance (a SIGKILLed member holds its
// partitions until its 10 s session times out), so the crash delays these orders without rejecting them.
const env = {
  ORDER_DEADLINE_RESERVE_MS: "30000",
  ORDER_DEADLINE_AUTHORIZE_MS: "30000",
  ORDER_DEADLINE_COMMIT_MS: "30000",
  ORDER_DEADLINE_DELIVERY_MS: "30000",
  ORDER_DEADLINE_CAPTURE_MS: "30000",
  DELIVERY_ASSIGN_DEADLINE_MS: "3000",
};
const orderCount = 8;

/** Places `orderCount` one-unit orders at once in a fresh store with enough stock and riders. */
async function placeOrders(world: CheckoutWorld, sku: string): Promise<string[]> {
  const storeId = await world.seedStore({ sku, onHand: orderCount, riders: orderCount });
  const shoppers = await Promise.all(
    Array.from({ length: orderCount }, () => world.shopperWithCart(storeId, sku, 1)),
  );
  return Promise.all(shoppers.map((shopper) => world.checkout(shopper, storeId)));
}

/** How many of the orders' sagas are still waiting on a participant. */
async function runningSagas(world: CheckoutWorld, orderIds: string[]): Promise<number> {
  const rows = await world.orders
    .selectFrom("sagas")
    .select("order_id")
    .where("order_id", "in", orderIds)
    .where("status", "=", "RUNNING")
    .execute();
  return rows.length;
}

/**
 * Every order ends CONFIRMED, nothing was captured (capture waits for delivery), each order holds its total
 * on the card exactly once, and the ledger balances.
 */
async function expectSettled(world: CheckoutWorld, orderIds: string[]): Promise<void> {
  const outcomes = await Promise.all(orderIds.map((orderId) => world.awaitStatus(orderId, terminal, 60_000)));
  expect(outcomes.every((status) => terminal.includes(status))).toBe(true);
  expect(outcomes).toEqual(orderIds.map(() => "CONFIRMED"));
  for (const orderId of orderIds) {
    const payment = await world.paymentOf(orderId);
    expect(payment).toMatchObject({ status: "AUTHORIZED", captures: 0 });
  }
  const owed = await world.owedHolds(orderIds);
  expect(owed).toBeGreaterThan(0);
  await waitUntil(async () => (await world.heldOnCards()) === owed, "each order's total held once", 30_000);
  expect((await world.ledger()).balanced).toBe(true);
}

describe("a saga participant killed mid-checkout", () => {
  let world: CheckoutWorld | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  }, 60_000);

  it("brings every order to a terminal state after the order service is SIGKILLed and restarted", async () => {
    world = await startCheckoutWorld({ env, spawn: ["order"] });
    const order = world.spawned.order;
    if (!order) throw new Error("order should run as a child process");
    const orderIds = await placeOrders(world, "CRASH-ORDER");
    expect(await runningSagas(world, orderIds)).toBeGreaterThan(0);
    await order.kill();
    await Bun.sleep(1_000);
    await order.restart();
    await expectSettled(world, orderIds);
  }, 150_000);

  it("holds no payment twice after the payment service is SIGKILLed and restarted", async () => {
    world = await startCheckoutWorld({ env, spawn: ["payment"] });
    const payment = world.spawned.payment;
    if (!payment) throw new Error("payment should run as a child process");
    const orderIds = await placeOrders(world, "CRASH-PAY");
    const current = world;
    // Kill once payment has work in flight: some orders asked it to authorize.
    await waitUntil(
      async () =>
        (await Promise.all(orderIds.map((id) => current.ordersOutbox(id, "AuthorizePayment")))).some(Boolean),
      "an AuthorizePayment was sent",
    );
    expect(await runningSagas(world, orderIds)).toBeGreaterThan(0);
    await payment.kill();
    await Bun.sleep(1_000);
    await payment.restart();
    await expectSettled(world, orderIds);
  }, 150_000);
});
