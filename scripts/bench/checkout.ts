/**
 * Checkout end to end in core, one process per service as in production (every service of core/services.ts
 * spawned as `bun core/<service>/main.ts` on the real Postgres, Redis and Kafka): N shoppers with one unit
 * in their cart check out, C at a time, each with `POST /v1/orders` and `Prefer: wait=10`, which answers
 * once the order left PENDING. Prints confirmed orders/s, checkout→CONFIRMED p50/p99 (POST sent → 201
 * received), one order on the idle platform, where each order waited (mean per saga step), Postgres commits
 * per order and CPU seconds per 1,000 orders for each process from /proc.
 * `npm run bench -- checkout [N=200] [C=16] [W=300]`: W unmeasured checkouts warm the platform up first, then
 * its databases are analyzed as autovacuum would have analyzed them by then (see support/analyze).
 */
import { type Kysely, sql } from "kysely";
import { loadConfig } from "../../core/shared/config";
import { SERVICE_NAMES } from "../../core/shared/runtime/context";
import { PRODUCTION_SAMPLE_RATIO } from "../../core/shared/telemetry/tracing";
import { address, startCheckoutWorld } from "../../core/tests/support/checkout-world";
import { brokerPort, startKafka } from "../infra/kafka";
import { ensureMachineServices } from "../infra/services";
import { analyzeAfterWarmUp } from "./support/analyze";
import { orderTimeline } from "./support/order-timeline";
import {
  cpuReport,
  cpuSnapshot,
  machineLine,
  machineSnapshot,
  wakeUpLine,
  wakeUpSnapshot,
} from "./support/process-cpu";

const total = Number(process.argv[3] ?? 200);
const concurrency = Number(process.argv[4] ?? 16);
// Checkouts run at full concurrency before anything is measured: JIT compilers (every Bun service, the
// broker's JVM) are still busy minutes after a start, which a platform in production is not.
const warmUp = Number(process.argv[5] ?? 300);
const sku = "BENCH-1";
const idleOrders = 5;

// A benchmark starts what it needs: Postgres and Redis if down, a Kafka broker unless one answers.
const machine = loadConfig({ ...process.env, NODE_ENV: "development" });
await ensureMachineServices(machine.DATABASE_URL, machine.REDIS_URL);
const kafka = await startKafka({ port: brokerPort(machine.KAFKA_BROKERS) });

// The saga's services hold a connection per concurrent consumer transaction and request; the rest read.
const pools: Record<string, string> = { order: "12", inventory: "8", payment: "8", delivery: "8", cart: "8" };
const world = await startCheckoutWorld({
  database: "qc_bench_checkout",
  env: {
    LOG_LEVEL: "error",
    PAYMENT_PROVIDER_LATENCY_MS: "30",
    ORDER_SWEEP_INTERVAL_MS: "1000",
    // Traces sampled as in production (recording every span is a quarter of core's CPU).
    OTEL_SAMPLE_RATIO: process.env.OTEL_SAMPLE_RATIO ?? String(PRODUCTION_SAMPLE_RATIO),
  },
  spawn: [...SERVICE_NAMES],
  spawnEnv: Object.fromEntries(SERVICE_NAMES.map((name) => [name, { DB_POOL_MAX: pools[name] ?? "4" }])),
});
try {
  const orders = total + idleOrders + warmUp;
  const storeId = await world.seedStore({ sku, onHand: orders, riders: 0 });
  const batches = <T>(count: number, make: (i: number) => Promise<T>) =>
    (async () => {
      const made: T[] = [];
      for (let i = 0; i < count; i += 25)
        made.push(
          ...(await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) => make(i + j)))),
        );
      return made;
    })();
  // Every confirmed order keeps its rider (nobody delivers in this bench): one rider per order.
  await batches(orders, async (i) => {
    const response = await world.call.delivery("POST", `/v1/admin/stores/${storeId}/riders`, {
      body: { name: `Rider ${i}`, userId: crypto.randomUUID() },
      user: { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] },
    });
    if (!response.ok) throw new Error(`rider: ${response.status} ${await response.text()}`);
  });
  const shoppers = await batches(orders, () => world.shopperWithCart(storeId, sku));

  /** One checkout: POST with Prefer: wait, answered 201 once the order left PENDING. */
  const checkout = async (shopper: (typeof shoppers)[number]) => {
    const started = performance.now();
    const response = await world.call.order("POST", "/v1/orders", {
      body: { storeId, address, payment: { token: "tok_visa" } },
      user: shopper,
      headers: { "idempotency-key": crypto.randomUUID(), prefer: "wait=10" },
    });
    const body = (await response.json()) as { status: string };
    return {
      ms: performance.now() - started,
      status: response.status === 201 ? body.status : "PENDING",
      orderId: (body as { orderId?: string }).orderId ?? "",
    };
  };

  /** Checks `queue` out, `concurrency` at a time. */
  const load = (queue: typeof shoppers, done: (result: Awaited<ReturnType<typeof checkout>>) => void) => {
    let next = 0;
    const worker = async () => {
      for (let shopper = queue[next++]; shopper; shopper = queue[next++]) done(await checkout(shopper));
    };
    return Promise.all(Array.from({ length: concurrency }, worker));
  };

  if (warmUp > 0) {
    console.log(`warming up: ${warmUp} checkouts, ${concurrency} at a time (not measured)`);
    await load(shoppers.splice(0, warmUp), () => {});
    await Bun.sleep(2_000);
  }
  console.log(
    `analyzed ${(await analyzeAfterWarmUp(world.env.config.DATABASE_URL)).join(", ")} (autovacuum is off here)`,
  );

  const idle: { ms: number; orderId: string }[] = [];
  for (const shopper of shoppers.splice(0, idleOrders)) {
    idle.push(await checkout(shopper));
    await Bun.sleep(300);
  }

  const commits = async () =>
    Number(
      (
        await sql<{ commits: string }>`select xact_commit as commits from pg_stat_database
          where datname = current_database()`.execute(world.orders)
      ).rows[0]?.commits ?? 0,
    );
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  console.log(`measuring ${total} checkouts, ${concurrency} at a time`);
  const cpuBefore = cpuSnapshot({ root: process.pid });
  const machineBefore = machineSnapshot();
  const wakeUpsBefore = wakeUpSnapshot({ root: process.pid });
  const commitsBefore = await commits();
  const started = performance.now();
  await load(shoppers, ({ ms, status }) => {
    if (status === "CONFIRMED") latencies.push(ms);
    outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  const committed = (await commits()) - commitsBefore;
  const cpuAfter = cpuSnapshot({ root: process.pid });
  const machineAfter = machineSnapshot();
  const wakeUpsAfter = wakeUpSnapshot({ root: process.pid });

  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const confirmed = outcomes.get("CONFIRMED") ?? 0;
  const ledger = await world.ledger();
  idle.sort((a, b) => a.ms - b.ms);
  const median = idle[Math.floor(idle.length / 2)];
  console.log(
    `checkout: ${total} orders, concurrency ${concurrency}, one process per service, ` +
      `traces sampled at ${world.env.config.OTEL_SAMPLE_RATIO}: ` +
      `${(confirmed / seconds).toFixed(1)} confirmed orders/s, checkout→CONFIRMED p50 ${at(0.5).toFixed(0)} ms, ` +
      `p99 ${at(0.99).toFixed(0)} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
      `ledger balanced: ${ledger.balanced}`,
  );
  console.log(
    `one order on the idle platform: POST → CONFIRMED ${idle.map(({ ms }) => ms.toFixed(0)).join(", ")} ms ` +
      `(median ${(median?.ms ?? 0).toFixed(0)} ms); the median one, hop by hop (ms after its POST's transaction):`,
  );
  for (const { atMs, what } of await orderTimeline(world.orders as Kysely<unknown>, median?.orderId ?? ""))
    console.log(`  ${String(atMs).padStart(5)}  ${what}`);
  console.log(
    `Postgres: ${(committed / total).toFixed(1)} commits per order (every service and the card simulator)`,
  );
  const cpuUse = cpuReport(cpuBefore, cpuAfter, total);
  console.log(machineLine(machineBefore, machineAfter, cpuUse.at(-1)?.seconds ?? 0));
  console.log(wakeUpLine(wakeUpsBefore, wakeUpsAfter, total, ["postgres", ...SERVICE_NAMES]));
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
  await kafka.stop();
  process.exit(0);
}
