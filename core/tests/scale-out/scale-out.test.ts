import { afterAll, describe, expect, it } from "bun:test";
import { type OrderStatus, withPrefix } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Bus } from "../../shared/bus";
import { createKafkaBus } from "../../shared/bus/kafka";
import { quietPort } from "../../shared/testing/ports";
import { checkInvariants, formatReport } from "../chaos/invariants";
import { address, type CheckoutWorld, startCheckoutWorld, terminal } from "../support/checkout-world";
import type { SpawnedService } from "../support/spawn-service";
import { waitUntil } from "../support/wait";

const SCALED = ["order", "inventory", "payment"] as const;
type Scaled = (typeof SCALED)[number];
/** The consumer group each scaled service runs (one each). */
const GROUP: Record<Scaled, string> = { order: "order-saga", inventory: "inventory", payment: "payment" };
const INSTANCES = 3;
const SHOPPERS = Number(process.env.SCALE_OUT_SHOPPERS ?? 12);
const STREAM_MS = Number(process.env.SCALE_OUT_SECONDS ?? 40) * 1_000;
const KILL_AT_MS = STREAM_MS * 0.4;
const SETTLE_MS = 90_000;
const SKU = "SCALE-MILK";
const DECLINED_EVERY = 8;

// Deadlines well beyond a SIGKILLed member's session timeout (6 s) plus the rebalance and a loaded machine,
// so a kill delays orders on the dead member's partitions instead of rejecting them.
const env = {
  ORDER_DEADLINE_RESERVE_MS: "45000",
  ORDER_DEADLINE_AUTHORIZE_MS: "45000",
  ORDER_DEADLINE_DELIVERY_MS: "45000",
  ORDER_DEADLINE_COMMIT_MS: "45000",
  ORDER_DEADLINE_CAPTURE_MS: "45000",
  DELIVERY_ASSIGN_DEADLINE_MS: "30000",
};
// Nine processes of these three beside the rest: small pools (Postgres allows 300 connections in all).
const smallPool = { DB_POOL_MAX: "4" };

/** Retries `attempt` until it answers or `timeoutMs` passes. */
async function persist<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await Bun.sleep(200);
    }
  }
}

interface Placed {
  orderId: string;
  declined: boolean;
}

/**
 * POST /v1/orders to the order instances in turn, as a load balancer would among its ready endpoints: an
 * instance that is down or dies mid-request is passed over and the same Idempotency-Key goes to the next.
 * A key the dead instance had claimed answers 409 until its claim is 30 s old and taken over, so the
 * shopper keeps trying for longer than that.
 */
function orderBalancer(instances: SpawnedService[]) {
  let next = 0;
  return async (user: { userId: string }, body: unknown, key: string) =>
    persist(async () => {
      const live = instances.filter((instance) => instance.pid !== undefined);
      const instance = live[next++ % live.length];
      if (!instance) throw new Error("no order instance running");
      const response = await instance.call("POST", "/v1/orders", {
        body,
        user: { userId: user.userId, roles: ["shopper"] },
        headers: { "idempotency-key": key, prefer: "wait=10" },
      });
      if (!response.ok) throw new Error(`checkout ${response.status}: ${await response.text()}`);
      return (await response.json()) as { orderId: string; status: OrderStatus };
    }, 60_000);
}

/** One shopper's order: a cart line, the checkout, and, once confirmed, its rider takes it to DELIVERED. */
async function shop(
  world: CheckoutWorld,
  place: ReturnType<typeof orderBalancer>,
  storeId: string,
  declined: boolean,
  placed: Placed[],
): Promise<void> {
  const user = { userId: crypto.randomUUID(), roles: ["shopper" as const] };
  await persist(async () => {
    const response = await world.call.cart("PUT", `/v1/cart/items/${SKU}`, {
      body: { storeId, quantity: 1 + (placed.length % 2) },
      user,
    });
    if (!response.ok) throw new Error(`cart ${response.status}`);
  });
  const body = { storeId, address, payment: { token: declined ? "tok_declined" : "tok_visa" } };
  const { orderId, status } = await place(user, body, crypto.randomUUID());
  placed.push({ orderId, declined });
  const outcome = terminal.includes(status) ? status : await world.awaitStatus(orderId, terminal, 90_000);
  if (outcome !== "CONFIRMED") return;
  await world.pack(orderId);
  const rider = { userId: await world.riderOf(orderId), roles: ["rider" as const] };
  for (const next of ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"]) {
    await persist(async () => {
      const response = await world.call.delivery("POST", `/v1/deliveries/${orderId}/status`, {
        body: { status: next },
        user: rider,
      });
      if (!response.ok) throw new Error(`rider ${next}: ${response.status}`);
    });
  }
}

interface Startup {
  /** Per consumer group: ms from the kill until the new member had its partitions (left `joining`). */
  joined: Record<string, number>;
  /** ms from the kill until /health/ready answered 200 (spawnService waits for it). */
  ready: number;
}

/** Starts a new instance of a service, following its readiness body until it answers ready. */
async function replace(world: CheckoutWorld, name: Scaled, killedAt: number): Promise<Startup> {
  const port = quietPort();
  const startup: Startup = { joined: {}, ready: Number.NaN };
  let started = false;
  const watching = (async () => {
    while (!started) {
      try {
        // The probe itself takes a while on a loaded machine: the state it reports held when it was asked.
        const asked = Date.now() - killedAt;
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        const body = (await response.json()) as { consumerGroups?: { group: string; state: string }[] };
        for (const { group, state } of body.consumerGroups ?? [])
          if (state !== "joining" && !(group in startup.joined)) startup.joined[group] = asked;
      } catch {
        // not listening yet
      }
      await Bun.sleep(50);
    }
  })();
  try {
    await world.scaleOut(name, port);
    startup.ready = Date.now() - killedAt;
  } finally {
    started = true;
    await watching;
  }
  return startup;
}

interface Rebalance {
  /** ms from the kill until the group was stable after its first rebalance: the dead member's partitions had an owner again. */
  reassigned: number;
  /** Rebalances seen (the dead member leaving and the new one joining may make one or two). */
  rebalances: number;
  /** ms the group spent rebalancing, when none of its members consumed. */
  paused: number;
}

/** Follows a consumer group's state from the kill (every 100 ms, as the broker describes it) until `done`. */
async function watchRebalance(bus: Bus, group: string, killedAt: number, done: () => boolean) {
  const seen: Rebalance = { reassigned: Number.NaN, rebalances: 0, paused: 0 };
  let last = Date.now();
  let rebalancing = false;
  while (!done()) {
    await Bun.sleep(100);
    const down = await bus.groupIsDown(group);
    const now = Date.now();
    if (down) {
      if (!rebalancing) seen.rebalances++;
      seen.paused += now - last;
      rebalancing = true;
    } else if (down === false && rebalancing) {
      rebalancing = false;
      if (Number.isNaN(seen.reassigned)) seen.reassigned = now - killedAt;
    }
    last = now;
  }
  return seen;
}

describe("scale-out: three processes each of order, inventory and payment", () => {
  let world: CheckoutWorld | undefined;
  afterAll(async () => {
    await world?.stop();
  }, 60_000);

  it(
    "keeps every order terminal, nothing duplicated and every key in order when one of each is SIGKILLed and replaced",
    async () => {
      world = await startCheckoutWorld({
        env,
        database: "qc_test_scale_out",
        spawn: [...SCALED],
        spawnEnv: { order: smallPool, inventory: smallPool, payment: smallPool },
        instances: { order: INSTANCES, inventory: INSTANCES, payment: INSTANCES },
      });
      const current = world;
      const db = current.env.db("order") as Kysely<unknown>;
      const storeId = await current.seedStore({ sku: SKU, onHand: 100_000, riders: SHOPPERS * 2 });
      const place = orderBalancer(current.replicas.order ?? []);

      const placed: Placed[] = [];
      const failures: string[] = [];
      const streamStart = Date.now();
      const until = streamStart + STREAM_MS;
      let count = 0;
      const shoppers = Array.from({ length: SHOPPERS }, async () => {
        while (Date.now() < until) {
          const declined = ++count % DECLINED_EVERY === 0;
          await shop(current, place, storeId, declined, placed).catch((error: unknown) => {
            failures.push(String(error));
          });
        }
      });

      // Mid-stream: one instance of each (not the one on the environment's port, which other services call
      // over HTTP) dies without a goodbye, and a new one is started at once, as a supervisor would.
      await Bun.sleep(KILL_AT_MS);
      const victims = SCALED.map((name) => current.replicas[name]?.[1] as SpawnedService);
      const placedBeforeKill = placed.length;
      const killedAt = Date.now();
      await Promise.all(victims.map((victim) => victim.kill()));
      const bus = createKafkaBus({ brokers: current.env.config.KAFKA_BROKERS, clientId: "scale-out-test" });
      let watchUntil = Number.POSITIVE_INFINITY;
      const rebalances = SCALED.map((name) =>
        watchRebalance(
          bus,
          withPrefix(current.env.config.TOPIC_PREFIX, GROUP[name]),
          killedAt,
          () => Date.now() > watchUntil,
        ),
      );
      const startups = await Promise.all(SCALED.map((name) => replace(current, name, killedAt)));
      // Watch a little beyond the last join: the new members' own join is the rebalance being measured.
      watchUntil = Date.now() + 3_000;
      const pauses = await Promise.all(rebalances);
      await bus.disconnect();
      await Promise.all(shoppers);
      const streamSeconds = (Date.now() - streamStart) / 1_000;

      // Every order ends, whatever was still running finishes (a delivered order's capture included), and the
      // compensations the last rejections sent have landed.
      const settleStart = Date.now();
      const settled = await waitUntil(
        async () => {
          const open = await sql<{ open: number }>`
            select count(*)::int as open from "order".sagas
            where status = 'RUNNING' or step <> '' or order_id not in (
              select order_id from "order".order_views where status in (${sql.join(terminal)}))
          `.execute(db);
          if (open.rows[0]?.open !== 0) return false;
          return (await checkInvariants(db)).every((result) => result.violations.length === 0);
        },
        "every saga ended and every invariant holds",
        SETTLE_MS,
      ).then(
        () => `settled ${((Date.now() - settleStart) / 1_000).toFixed(1)} s after the stream`,
        (error: unknown) => String(error),
      );

      const outcomes = await current.orders
        .selectFrom("order_views")
        .select(["order_id", "status", "reason"])
        .execute();
      const statusOf = new Map(outcomes.map((row) => [row.order_id, row]));
      // Checkout → CONFIRMED for every order, and the slowest of those placed from 10 s before the kill until
      // the groups were stable again (their messages could sit on a dead member's partitions) against the rest.
      const reassigned = Math.max(...pauses.map((pause) => pause.reassigned));
      const window = [new Date(killedAt - 10_000), new Date(killedAt + reassigned)];
      const latency = await sql<{ p50: number; p99: number; around: number; elsewhere: number }>`
        select percentile_cont(0.5) within group (order by ms) as p50,
               percentile_cont(0.99) within group (order by ms) as p99,
               max(ms) filter (where placed_at >= ${window[0]} and placed_at < ${window[1]}) as around,
               max(ms) filter (where placed_at < ${window[0]} or placed_at >= ${window[1]}) as elsewhere
        from (select p.occurred_at as placed_at, extract(epoch from c.occurred_at - p.occurred_at) * 1000 as ms
              from "order".order_events p join "order".order_events c using (order_id)
              where p.type = 'OrderPlaced' and c.type = 'OrderConfirmed') confirmations
      `.execute(db);
      const moved = await sql<{ committed: number; committed_units: number; sold: number }>`
        select (select count(*)::int from inventory.reservations where status = 'COMMITTED') as committed,
               (select coalesce(sum((line->>'quantity')::int), 0)::int from inventory.reservations r,
                  jsonb_array_elements(r.lines::jsonb) line where r.status = 'COMMITTED') as committed_units,
               (select coalesce(sum(sold), 0)::int from inventory.stock) as sold
      `.execute(db);
      const captured = await sql<{ order_id: string; status: string | null; captures: number }>`
        select v.order_id, i.status, count(c.payment_id)::int as captures
        from "order".order_views v
        left join payment.payment_intents i on i.order_id = v.order_id
        left join payment.payment_captures c on c.payment_id = i.payment_id
        where v.status = 'DELIVERED' group by v.order_id, i.status
      `.execute(db);
      const invariants = await checkInvariants(db);
      const byOutcome = new Map<string, number>();
      for (const row of outcomes) {
        const key = `${row.status}${row.reason ? ` (${row.reason})` : ""}`;
        byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
      }
      const figures = latency.rows[0];
      const ms = (value: number | undefined) => `${Math.round(Number(value ?? Number.NaN))} ms`;
      console.log(
        [
          `scale-out: ${INSTANCES} processes each of ${SCALED.join(", ")}; ${SHOPPERS} shoppers for ${streamSeconds.toFixed(0)} s`,
          `orders placed ${placed.length} (${placedBeforeKill} before the kill; shoppers failed ${failures.length}), in order's views ${outcomes.length}, terminal ${outcomes.filter((row) => terminal.includes(row.status)).length}; ${settled}`,
          `orders/s ${(placed.length / streamSeconds).toFixed(1)}; checkout → CONFIRMED p50 ${ms(figures?.p50)}, p99 ${ms(figures?.p99)}`,
          `outcomes: ${[...byOutcome].map(([outcome, n]) => `${outcome} ${n}`).join(", ")}`,
          `SIGKILLed one of each ${((killedAt - streamStart) / 1_000).toFixed(0)} s into the stream and started a new one at once:`,
          ...SCALED.map((name, i) => {
            const startup = startups[i] as Startup;
            const joins = Object.entries(startup.joined).map(([group, at]) => `${group} ${ms(at)}`);
            const pause = pauses[i] as Rebalance;
            return `  ${name}: dead member's partitions reassigned after ${ms(pause.reassigned)}; ${pause.rebalances} rebalance(s), ${ms(pause.paused)} with the group stopped; new member had its partitions after ${joins.join(", ") || "?"}, ready after ${ms(startup.ready)}`;
          }),
          `slowest checkout → CONFIRMED: ${ms(figures?.around)} for orders placed from 10 s before the kill until the new assignment, ${ms(figures?.elsewhere)} for the rest`,
          `stock: ${moved.rows[0]?.committed} reservations committed (${moved.rows[0]?.committed_units} units), ${moved.rows[0]?.sold} units sold`,
          "invariants:",
          formatReport(invariants),
        ].join("\n"),
      );

      expect(failures).toEqual([]);
      expect(placed.length).toBeGreaterThan(placedBeforeKill);
      expect(settled).toStartWith("settled");
      // Every accepted order is one the shoppers placed, and each ended as its card says: a good card is
      // delivered (the kill made no order fail), a declined one rejected for that reason only.
      expect(outcomes.length).toBe(placed.length);
      for (const { orderId, declined } of placed) {
        const row = statusOf.get(orderId);
        expect({ orderId, status: row?.status, reason: row?.reason }).toEqual(
          declined
            ? { orderId, status: "REJECTED", reason: "PAYMENT_DECLINED" }
            : { orderId, status: "DELIVERED", reason: null },
        );
      }
      // A delivered order was captured exactly once, and its stock sold exactly once.
      expect(captured.rows.filter((row) => row.status !== "CAPTURED" || row.captures !== 1)).toEqual([]);
      expect(moved.rows[0]?.committed).toBe(captured.rows.length);
      expect(moved.rows[0]?.sold).toBe(moved.rows[0]?.committed_units);
      // No oversold stock, no second reservation effect, authorization or capture, ledger balanced with
      // nothing held, and every order's events whole and in order.
      expect(invariants.flatMap((result) => result.violations)).toEqual([]);
    },
    // World start-up (nine processes) + the stream + settling + the checks, on two cores.
    STREAM_MS + SETTLE_MS + 120_000,
  );
});
