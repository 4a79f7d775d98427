import { afterAll, describe, expect, it } from "bun:test";
import { type CheckoutWorld, startCheckoutWorld, terminal } from "../support/checkout-world";

/**
 * A saga deadline measures a participant's step, not our outage: with every payment instance stopped, a
 * checkout waits past its authorization deadline instead of being rejected, and confirms once payment is
 * back. (The broker's own outage is covered by kafka-outage.test.ts.)
 */
describe("checkout while a participant service is down", () => {
  let world: CheckoutWorld | undefined;
  afterAll(async () => {
    await world?.stop();
  }, 60_000);

  it("does not reject for the deadline of a step whose service is known to be down", async () => {
    world = await startCheckoutWorld({
      spawn: ["payment"],
      env: { ORDER_DEADLINE_AUTHORIZE_MS: "2000", ORDER_OUTAGE_GRACE_MS: "2000" },
    });
    const payment = world.spawned.payment;
    if (!payment) throw new Error("payment should run as a child process");
    const storeId = await world.seedStore({ sku: "DOWN-1", onHand: 5, riders: 2 });
    const shopper = await world.shopperWithCart(storeId, "DOWN-1");
    // A clean stop leaves the group at once: the broker knows payment has no instance left.
    await payment.stop();
    const orderId = await world.checkout(shopper, storeId);
    await Bun.sleep(6_000);
    const waiting = await world.orders
      .selectFrom("order_views")
      .select("status")
      .where("order_id", "=", orderId)
      .executeTakeFirstOrThrow();
    expect(waiting.status).toBe("PENDING");
    await payment.restart();
    expect(await world.awaitStatus(orderId, terminal, 60_000)).toBe("CONFIRMED");
  }, 120_000);
});
