import { afterAll, describe, expect, it } from "bun:test";
import { type PrivateKafka, startPrivateKafka } from "../../../scripts/infra/faults/kafka";
import { type CheckoutWorld, startCheckoutWorld, terminal } from "../support/checkout-world";

/**
 * A broker restart is our outage, not the shopper's failure: checkouts placed before and during a 15 s Kafka
 * stop all end CONFIRMED once it is back (the order transaction needs no broker; saga deadlines pause while
 * it is down and are extended when it is back, while the groups rejoin), none rejected for INTERNAL_ERROR or
 * a timeout.
 */
describe("checkout across a Kafka restart", () => {
  let kafka: PrivateKafka | undefined;
  let world: CheckoutWorld | undefined;
  afterAll(async () => {
    await world?.stop().catch(() => {});
    await kafka?.destroy();
  }, 120_000);

  it("confirms every checkout placed before or during a 15 s broker stop", async () => {
    kafka = await startPrivateKafka();
    world = await startCheckoutWorld({
      env: {
        KAFKA_BROKERS: kafka.brokers.join(","),
        // Deadlines short enough that an outage without the pause would reject every saga in flight.
        ORDER_DEADLINE_RESERVE_MS: "5000",
        ORDER_DEADLINE_AUTHORIZE_MS: "5000",
        ORDER_DEADLINE_DELIVERY_MS: "8000",
        ORDER_OUTAGE_GRACE_MS: "20000",
      },
    });
    const current = world;
    const storeId = await current.seedStore({ sku: "OUTAGE-1", onHand: 100, riders: 60 });
    const shoppers = await Promise.all(
      Array.from({ length: 40 }, () => current.shopperWithCart(storeId, "OUTAGE-1")),
    );
    const orderIds: string[] = [];
    let next = 0;
    const placeSome = async (count: number, gapMs: number) => {
      for (let i = 0; i < count; i++) {
        const shopper = shoppers[next++];
        if (!shopper) return;
        orderIds.push(await current.checkout(shopper, storeId));
        await Bun.sleep(gapMs);
      }
    };
    await placeSome(10, 50);
    const stoppedAt = Date.now();
    await kafka.stop();
    await placeSome(20, 500);
    const downFor = Date.now() - stoppedAt;
    if (downFor < 15_000) await Bun.sleep(15_000 - downFor);
    await kafka.start();
    console.log(
      `Kafka was down ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s; ${orderIds.length} checkouts placed`,
    );

    const outcomes = await Promise.all(orderIds.map((id) => current.awaitStatus(id, terminal, 120_000)));
    const reasons = await current.orders
      .selectFrom("order_views")
      .select(["order_id", "status", "reason"])
      .where("order_id", "in", orderIds)
      .execute();
    const rejected = reasons.filter((row) => row.status !== "CONFIRMED");
    console.log(`outcomes: ${JSON.stringify(rejected.map((row) => `${row.status} ${row.reason}`))}`);
    expect(outcomes).toEqual(orderIds.map(() => "CONFIRMED"));
  }, 240_000);
});
