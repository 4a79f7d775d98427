/**
 * Checkout end to end with the whole core running in this process (every service of core/services.ts on
 * the real Postgres, Redis and Kafka): N shoppers with one unit in their cart check out, C at a time; each
 * checkout is timed from POST /v1/orders to the moment its OrderConfirmed event was recorded (read back from
 * the event store, so polling, every 100 ms, adds no error and little load). Stock and riders
 * suffice for every order. Prints completed orders/s and p50/p99 checkout-to-CONFIRMED latency.
 * `bun scripts/bench.ts checkout [N=200] [C=16]`
 */
import { sql } from "kysely";
import { startCheckoutWorld, terminal } from "../../core/tests/support/checkout-world";

const total = Number(process.argv[3] ?? 200);
const concurrency = Number(process.argv[4] ?? 16);
const sku = "BENCH-1";

const world = await startCheckoutWorld({
  database: "qc_bench_checkout",
  env: { LOG_LEVEL: "silent", PAYMENT_PROVIDER_LATENCY_MS: "30" },
});
try {
  const storeId = await world.seedStore({ sku, onHand: total, riders: total });
  const shoppers: Awaited<ReturnType<typeof world.shopperWithCart>>[] = [];
  for (let i = 0; i < total; i += 20) {
    const batch = Math.min(20, total - i);
    shoppers.push(
      ...(await Promise.all(Array.from({ length: batch }, () => world.shopperWithCart(storeId, sku)))),
    );
  }

  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < shoppers.length) {
      const shopper = shoppers[next++];
      if (!shopper) return;
      const started = Date.now();
      const orderId = await world.checkout(shopper, storeId);
      const status = await pollStatus(orderId);
      if (status === "CONFIRMED") latencies.push((await confirmedAt(orderId)) - started);
      outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
    }
  };
  const pollStatus = async (orderId: string) => {
    for (;;) {
      const row = await world.orders
        .selectFrom("order_views")
        .select("status")
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      if (row && terminal.includes(row.status)) return row.status;
      await Bun.sleep(100);
    }
  };
  const confirmedAt = async (orderId: string) => {
    const row = await world.orders
      .selectFrom("order_events")
      .select("occurred_at")
      .where("order_id", "=", orderId)
      .where("type", "=", "OrderConfirmed")
      .executeTakeFirstOrThrow();
    return row.occurred_at.getTime();
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const ledger = await world.ledger();
  console.log(
    `checkout: ${total} orders, concurrency ${concurrency}: ${((outcomes.get("CONFIRMED") ?? 0) / seconds).toFixed(1)} ` +
      `confirmed orders/s, checkout→CONFIRMED p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms; ` +
      `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; ledger balanced: ${ledger.balanced}`,
  );
  // Where the time goes: the mean wait before each recorded saga fact, and why orders were rejected.
  const steps = await sql<{ step: string; orders: number; mean_ms: number; max_ms: number }>`
    with timed as (
      select coalesce(data->>'step', type) as step,
             occurred_at - lag(occurred_at) over (partition by order_id order by version) as waited
      from order_events)
    select step, count(*)::int as orders, round(avg(extract(epoch from waited)) * 1000)::int as mean_ms,
           round(max(extract(epoch from waited)) * 1000)::int as max_ms
    from timed where waited is not null group by step order by mean_ms desc`.execute(world.orders);
  console.table(steps.rows);
  const reasons = await world.orders
    .selectFrom("order_views")
    .select(["reason", sql<number>`count(*)::int`.as("orders")])
    .where("reason", "is not", null)
    .groupBy("reason")
    .execute();
  if (reasons.length > 0) console.table(reasons);
} finally {
  await world.stop();
  process.exit(0);
}
