/**
 * Checkout through the edge, the way shoppers do it: the whole platform started as `npm run dev` starts it
 * (one process per core service, the Upstash REST server, the edge under `wrangler dev`), on free ports, its
 * own database and topic prefix, with the edge's rate limits raised. C shoppers are registered and logged in
 * through the edge; then each loops for S seconds: PUT /v1/cart/items/:sku, POST /v1/orders with an
 * Idempotency-Key and `Prefer: wait=10`, and on a 202 polls GET /v1/orders/:id until the order is no longer
 * PENDING. Prints confirmed orders/s, p50/p99 checkout latency (POST → CONFIRMED seen by the shopper), the
 * outcomes, and CPU seconds per 1,000 confirmed orders for each process (each core service, Kafka, Postgres,
 * Redis, workerd and wrangler, the Upstash server, this bench) over the measured window.
 * Stops everything it started, and itself after S + 8 minutes at the latest.
 * `npm run bench -- checkout-edge [C=32] [S=30] [W=15]`: the shoppers first shop W seconds unmeasured, so the
 * JIT compilers of workerd, every Bun service and the broker's JVM are done with the hot paths; then the run's
 * databases are analyzed as autovacuum would have analyzed them by then (see support/analyze).
 */
import { analyzeAfterWarmUp } from "./support/analyze";
import { runEdgeBench } from "./support/edge-bench";
import {
  type CheckoutResult,
  checkout,
  registerShoppers,
  seedStore,
  shopUntil,
  withRetries,
} from "./support/edge-shoppers";
import { cpuReport, cpuSnapshot, machineLine, machineSnapshot } from "./support/process-cpu";

const concurrency = Number(process.argv[3] ?? 32);
const seconds = Number(process.argv[4] ?? 30);
const warmUpSeconds = Number(process.argv[5] ?? 15);
if (!(concurrency >= 1 && seconds >= 1 && warmUpSeconds >= 0)) {
  console.error("usage: npm run bench -- checkout-edge [shoppers=32] [seconds=30] [warm-up seconds=15]");
  process.exit(2);
}

const skus = Array.from({ length: 8 }, (_, index) => `EDGE-BENCH-${index + 1}`);
const store = { lat: 52.52, lng: 13.405 };
const address = { line1: "Bench street 1", lat: 52.521, lng: 13.407 };
// Riders stay busy until delivered, so there is one per order the run could confirm (up to 120/s).
const riders = Math.min(6_000, Math.max(200, (seconds + warmUpSeconds) * 120));

// Bounded: start-up, seeding and the drain take minutes at most; past that, stop everything and fail.
await runEdgeBench(
  { name: "checkout-edge", timeoutSeconds: seconds + warmUpSeconds + 480 },
  async ({ platform, client, run, say }) => {
    const { config } = platform;

    say(`seeding a store with ${skus.length} products and ${riders} riders through the admin API`);
    const admin = await client.login(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    const storeId = await seedStore(client, admin, {
      name: `Bench store ${run}`,
      location: store,
      skus,
      riders,
    });
    const shop = { storeId, skus, address };

    say(`registering ${concurrency} shoppers through the edge`);
    const shoppers = await registerShoppers(client, concurrency, run);

    const outcomes = new Map<string, number>();
    const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    // What the shoppers sent: whether core honoured `Prefer: wait` (201) or they had to poll (202).
    const requests = { answered201: 0, answered202: 0, polls: 0 };
    const latencies: number[] = [];

    const record = (result: CheckoutResult) => {
      count(result.outcome);
      if (result.answered) requests[result.answered === 201 ? "answered201" : "answered202"]++;
      requests.polls += result.polls;
      if (result.confirmedAfterMs !== undefined) latencies.push(result.confirmedAfterMs);
    };

    // One checkout first: it waits out the read models catching up and warms every path.
    const first = shoppers[0] as string;
    await withRetries(
      "a first checkout",
      async () => {
        const { outcome } = await checkout(client, first, shop, true);
        if (outcome !== "CONFIRMED") throw new Error(outcome);
      },
      20,
    );

    if (warmUpSeconds > 0) {
      say(`warming up: ${concurrency} shoppers checking out for ${warmUpSeconds} s (not measured)`);
      await shopUntil(client, shoppers, shop, performance.now() + warmUpSeconds * 1000, () => {});
    }
    say(`analyzed ${(await analyzeAfterWarmUp(config.DATABASE_URL)).join(", ")} (autovacuum is off here)`);

    say(`${concurrency} shoppers checking out for ${seconds} s`);
    const before = cpuSnapshot({ root: process.pid });
    const machineBefore = machineSnapshot();
    const started = performance.now();
    const endAt = started + seconds * 1000;
    await shopUntil(client, shoppers, shop, endAt, record);
    const elapsed = (performance.now() - started) / 1000;
    const after = cpuSnapshot({ root: process.pid });
    const machineAfter = machineSnapshot();

    const confirmed = outcomes.get("CONFIRMED") ?? 0;
    latencies.sort((a, b) => a - b);
    const at = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
    console.log(
      `checkout-edge: ${concurrency} shoppers, ${elapsed.toFixed(1)} s: ${(confirmed / elapsed).toFixed(1)} confirmed ` +
        `orders/s, checkout POST→CONFIRMED p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms; ` +
        `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; POST answered 201 ×${requests.answered201}, ` +
        `202 ×${requests.answered202}, then ${requests.polls} polls`,
    );
    const rows = cpuReport(before, after, confirmed);
    console.log(machineLine(machineBefore, machineAfter, rows.at(-1)?.seconds ?? 0));
    console.log(
      "(postgres, kafka, redis and rabbitmq are the machine's shared servers: other work on this machine counts there)",
    );
  },
);
