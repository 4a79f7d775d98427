import { afterAll, describe, expect, it } from "bun:test";
import type { Kysely } from "kysely";
import { type PrivateKafka, startPrivateKafka } from "../../../scripts/infra/faults/kafka";
import { type LatencyProxy, startLatencyProxy } from "../../../scripts/infra/faults/latency-proxy";
import { type PrivatePostgres, startPrivatePostgres } from "../../../scripts/infra/faults/postgres";
import { type PrivateRedis, startPrivateRedis } from "../../../scripts/infra/faults/redis";
import { createDb } from "../../shared/db";
import { address, type CheckoutWorld, startCheckoutWorld } from "../support/checkout-world";
import type { SpawnedService } from "../support/spawn-service";
import { waitUntil } from "../support/wait";
import { messagingBacklog } from "./backlog";
import { type ChaosTargets, FAULTS, type Fault, faultPlan } from "./faults";
import { checkInvariants, formatReport } from "./invariants";
import { type Random, seededRandom } from "./random";

const SEED = Number(process.env.CHAOS_SEED ?? 20261126);
const CHAOS_MS = Number(process.env.CHAOS_SECONDS ?? 45) * 1_000;
const SETTLE_MS = 120_000;
// Every fault by default; a list (CHAOS_FAULTS="stop Kafka,crash Postgres") narrows the run to reproduce
// one finding.
const chosen = process.env.CHAOS_FAULTS?.split(",").map((name) => name.trim());
const faults = chosen ? FAULTS.filter((fault) => chosen.includes(fault.name)) : FAULTS;
const SKU = "CHAOS-MILK";
const PROBE_SKU = "CHAOS-PROBE";
const DATABASE = "qc_chaos";

// Deadlines short enough that every saga ends soon after the faults stop, long enough to span a restart.
const deadlines = {
  ORDER_DEADLINE_RESERVE_MS: "10000",
  ORDER_DEADLINE_AUTHORIZE_MS: "10000",
  ORDER_DEADLINE_COMMIT_MS: "10000",
  ORDER_DEADLINE_DELIVERY_MS: "10000",
  ORDER_DEADLINE_CAPTURE_MS: "10000",
  DELIVERY_ASSIGN_DEADLINE_MS: "4000",
  INVENTORY_SWEEP_INTERVAL_MS: "500",
  ORDER_SWEEP_INTERVAL_MS: "250",
  PAYMENT_PROVIDER_LATENCY_MS: "5",
};

/** Retries `attempt` until it answers or `timeoutMs` passes: the shopper taps again while pieces are down. */
async function persist<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch {
      await Bun.sleep(300);
    }
  }
  return undefined;
}

/** Places one checkout: a cart line, then POST /v1/orders retried with the same Idempotency-Key. */
async function checkout(
  world: CheckoutWorld,
  random: Random,
  storeId: string,
  sku = SKU,
  token = random.pick(["tok_visa", "tok_visa", "tok_visa", "tok_visa", "tok_visa", "tok_declined"]),
): Promise<string | undefined> {
  const user = { userId: crypto.randomUUID(), roles: ["shopper" as const] };
  const quantity = random.between(1, 2);
  const key = crypto.randomUUID();
  const carted = await persist(async () => {
    const response = await world.call.cart("PUT", `/v1/cart/items/${sku}`, {
      body: { storeId, quantity },
      user,
    });
    if (!response.ok) throw new Error(`cart ${response.status}`);
    return true;
  });
  if (!carted) return undefined;
  return persist(async () => {
    const response = await world.call.order("POST", "/v1/orders", {
      body: { storeId, address, payment: { token } },
      user,
      headers: { "idempotency-key": key },
    });
    if (response.status >= 500 || response.status === 429) throw new Error(`order ${response.status}`);
    if (!response.ok) return undefined;
    return ((await response.json()) as { orderId: string }).orderId;
  });
}

/** Starts any service that died on its own (a supervisor would); returns the names it had to restart. */
async function revive(services: Record<string, SpawnedService>): Promise<string[]> {
  const revived: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (service.pid !== undefined) continue;
    await persist(() => service.restart(), 90_000);
    revived.push(name);
  }
  return revived;
}

/** Rejections that say our platform failed the shopper (a deadline of ours), not their stock, card, rider or the card processor. */
const INFRASTRUCTURE_REASONS: string[] = ["INTERNAL_ERROR"];

describe("checkout under chaos", () => {
  let postgres: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let kafka: PrivateKafka | undefined;
  let proxy: LatencyProxy | undefined;
  let world: CheckoutWorld | undefined;
  let db: Kysely<unknown> | undefined;
  afterAll(async () => {
    await world?.stop().catch(() => {});
    await db?.destroy();
    proxy?.stop();
    await Promise.allSettled([postgres?.destroy(), redis?.destroy(), kafka?.destroy()]);
  }, 120_000);

  it(
    `keeps every invariant while pieces die at random (seed ${SEED})`,
    async () => {
      const random = seededRandom(SEED);
      [postgres, redis, kafka] = await Promise.all([
        startPrivatePostgres(),
        startPrivateRedis(),
        startPrivateKafka(),
      ]);
      proxy = startLatencyProxy({ port: postgres.port });
      world = await startCheckoutWorld({
        env: {
          ...deadlines,
          DATABASE_URL: `postgres://postgres@${proxy.host}/${DATABASE}`,
          REDIS_URL: redis.url,
          KAFKA_BROKERS: kafka.brokers.join(","),
        },
        spawn: ["catalog", "pricing", "cart", "inventory", "payment", "delivery", "order"],
      });
      db = createDb<unknown>({ url: postgres.url(DATABASE), schema: "public", poolMax: 2 });
      const services = world.spawned as Record<string, SpawnedService>;
      const targets: ChaosTargets = { services, postgres, redis, kafka, postgresProxy: proxy };
      const storeId = await world.seedStore({ sku: SKU, onHand: 60, riders: 40 });
      // A quiet store for one checkout after the faults: proof that the platform recovered.
      const probeStore = await world.seedStore({ sku: PROBE_SKU, onHand: 5, riders: 2 });

      // The stream of checkouts and the faults run side by side until the chaos window closes.
      const until = Date.now() + CHAOS_MS;
      const placing: Promise<string | undefined>[] = [];
      const shoppers = (async () => {
        while (Date.now() < until) {
          placing.push(checkout(world as CheckoutWorld, random, storeId));
          await Bun.sleep(random.between(150, 600));
        }
      })();
      const happened: string[] = [];
      const plan = faultPlan(random, faults);
      while (Date.now() < until) {
        await Bun.sleep(random.between(1_000, 4_000));
        const fault = plan.next().value as Fault;
        happened.push(
          await fault.run(random, targets).catch((error: unknown) => `${fault.name} failed: ${error}`),
        );
        const revived = await revive(services);
        if (revived.length > 0) happened.push(`restarted ${revived.join(", ")} after it died on its own`);
      }
      await shoppers;
      const orderIds = (await Promise.all(placing)).filter((id): id is string => id !== undefined);
      await revive(services);

      // Faults are over: within the sagas' deadlines every invariant must hold (messages still in flight
      // may finish a compensation, so the checks are retried until they pass or time runs out).
      const started = Date.now();
      const settled = await waitUntil(
        async () => (await checkInvariants(db as Kysely<unknown>)).every((r) => r.violations.length === 0),
        "every invariant holds",
        SETTLE_MS,
      ).then(
        () => `settled after ${Math.round((Date.now() - started) / 1000)}s`,
        (error: unknown) => String(error),
      );
      const probeId = await checkout(world, random, probeStore, PROBE_SKU, "tok_visa");
      const recovered = probeId
        ? await world.awaitStatus(probeId, ["CONFIRMED"], 60_000).then(
            () => "a fresh checkout confirmed",
            async (error: unknown) => {
              const row = await world?.orders
                .selectFrom("order_views")
                .select("reason")
                .where("order_id", "=", probeId)
                .executeTakeFirst();
              return `a fresh checkout did not confirm (${row?.reason ?? "no reason"}): ${error}`;
            },
          )
        : "a fresh checkout was not accepted";
      const outcomes = await world.orders
        .selectFrom("order_views")
        .select(["status", "reason", (eb) => eb.fn.countAll<number>().as("count")])
        .groupBy(["status", "reason"])
        .execute();
      const results = await checkInvariants(db);
      // Our own outages (a broker, a database, a service restarting) must not be the shopper's failure: a
      // rejection for a business reason (stock, a declined card, no rider) is fine, one for ours is counted.
      const ours = outcomes
        .filter((row) => row.reason !== null && INFRASTRUCTURE_REASONS.includes(row.reason))
        .reduce((sum, row) => sum + Number(row.count), 0);
      console.log(
        [
          `chaos seed ${SEED}: ${placing.length} checkouts tried, ${orderIds.length} accepted; ${settled}; ${recovered}`,
          "faults:",
          ...happened.map((line) => `  ${line}`),
          "outcomes:",
          ...outcomes.map((row) => `  ${row.status}${row.reason ? ` (${row.reason})` : ""}: ${row.count}`),
          `rejected for an infrastructure reason: ${ours} (target 0)`,
          "messaging:",
          ...(await messagingBacklog(db)).map((line) => `  ${line}`),
          "invariants:",
          formatReport(results),
        ].join("\n"),
      );
      expect(orderIds.length).toBeGreaterThan(0);
      expect(recovered).toBe("a fresh checkout confirmed");
      expect(results.flatMap((result) => result.violations)).toEqual([]);
    },
    15 * 60_000,
  );
});
