import { afterAll, describe, expect, it } from "bun:test";
import type { OrderStatus } from "@qc/contracts";
import { type CheckoutWorld, startCheckoutWorld, terminal } from "../support/checkout-world";
import { waitUntil } from "../support/wait";

const SKU = "BREAKER-MILK";
// One provider attempt may take this long, and there is one retry: a checkout that waits on a slow provider
// spends at least TIMEOUT_MS × ATTEMPTS on its authorization alone.
const TIMEOUT_MS = 3_000;
const ATTEMPTS = 2;
const SLOW_MS = 8_000;
const HEALTHY_MS = 5;

let world: CheckoutWorld | undefined;
afterAll(async () => {
  await world?.stop();
}, 120_000);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/** The payment provider's breaker as payment's /metrics shows it: 0 closed, 1 half-open, 2 open. */
async function breaker(w: CheckoutWorld): Promise<{ state: number; halfOpened: number }> {
  const text = await (await w.call.payment("GET", "/metrics")).text();
  const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? Number.NaN);
  return {
    state: value(/^circuit_breaker_state\{dependency="payment-provider"\} (\S+)$/m),
    halfOpened:
      value(
        /^circuit_breaker_transitions_total\{dependency="payment-provider",state="half_open"\} (\S+)$/m,
      ) || 0,
  };
}

async function setProviderLatency(w: CheckoutWorld, latencyMs: number) {
  const response = await w.call.payment("PUT", "/internal/v1/card-processor/latency", {
    body: { latencyMs },
  });
  expect(response.status).toBe(200);
}

/** One shopper's checkout from POST /v1/orders to a terminal state: its status, reason and time taken. */
async function timedCheckout(w: CheckoutWorld, storeId: string) {
  const shopper = await w.shopperWithCart(storeId, SKU);
  const started = performance.now();
  const orderId = await w.checkout(shopper, storeId);
  const status = (await w.awaitStatus(orderId, terminal, 60_000)) as OrderStatus;
  const ms = Math.round(performance.now() - started);
  const row = await w.orders
    .selectFrom("order_views")
    .select("reason")
    .where("order_id", "=", orderId)
    .executeTakeFirst();
  return { status, reason: row?.reason ?? null, ms };
}

/** Times GET /v1/catalog/products (a route that never touches payment) until `stop` resolves. */
async function sampleOtherRoute(w: CheckoutWorld, storeId: string, stop: Promise<unknown>) {
  const timings: number[] = [];
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  while (!done) {
    const started = performance.now();
    const response = await w.call.catalog("GET", `/v1/catalog/products?storeId=${storeId}`);
    if (!response.ok) throw new Error(`catalog answered ${response.status}`);
    await response.arrayBuffer();
    timings.push(performance.now() - started);
    await Bun.sleep(50);
  }
  return timings;
}

const figures = (timings: number[]) =>
  `p50 ${Math.round(percentile(timings, 50))} ms, p99 ${Math.round(percentile(timings, 99))} ms (${timings.length} calls)`;

describe("payment provider slow", () => {
  it("checkouts fail fast once the breaker opens, other routes keep their latency, and the breaker closes when the provider recovers", async () => {
    world = await startCheckoutWorld({
      database: "qc_test_resilience",
      env: {
        PAYMENT_PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
        PAYMENT_PROVIDER_RETRIES: String(ATTEMPTS - 1),
        PAYMENT_PROVIDER_LATENCY_MS: String(HEALTHY_MS),
        // Long enough that every rejection below comes from payment, not from the saga's own deadline.
        ORDER_DEADLINE_AUTHORIZE_MS: "30000",
      },
    });
    const w = world;
    const storeId = await w.seedStore({ sku: SKU, onHand: 200, riders: 50 });

    const healthy = await timedCheckout(w, storeId);
    expect(healthy.status).toBe("CONFIRMED");
    const baseline = await sampleOtherRoute(w, storeId, Bun.sleep(3_000));
    expect((await breaker(w)).state).toBe(0);

    // The provider degrades: every call still answers, but later than our deadline.
    await setProviderLatency(w, SLOW_MS);
    const slowPhase = (async () => {
      const slow: Awaited<ReturnType<typeof timedCheckout>>[] = [];
      // Each slow checkout costs the breaker two failures (the authorization, then its void).
      while ((await breaker(w)).state !== 2 && slow.length < 8)
        slow.push(...(await Promise.all([timedCheckout(w, storeId), timedCheckout(w, storeId)])));
      return slow;
    })();
    const whileSlow = sampleOtherRoute(w, storeId, slowPhase);
    const slow = await slowPhase;
    expect((await breaker(w)).state).toBe(2);

    // Breaker open: new checkouts are turned down without waiting on the provider.
    // (placed together, well inside the open window before the first half-open trial)
    const fast = await Promise.all([1, 2, 3].map(() => timedCheckout(w, storeId)));
    const duringOpen = await whileSlow;
    const describeAll = (checkouts: typeof fast) =>
      checkouts.map((c) => `${c.status}/${c.reason} ${c.ms} ms`).join(", ");
    const failFastMs = Math.max(...fast.map((checkout) => checkout.ms));
    const slowestWaitMs = Math.min(...slow.map((checkout) => checkout.ms));
    console.log(
      [
        `payment breaker (provider timeout ${TIMEOUT_MS} ms × ${ATTEMPTS} attempts, slowed to ${SLOW_MS} ms):`,
        `  healthy checkout → CONFIRMED in ${healthy.ms} ms`,
        `  before the breaker opened: ${slow.length} checkouts: ${describeAll(slow)}`,
        `  breaker open: ${describeAll(fast)} (max ${failFastMs} ms)`,
        `  GET /v1/catalog/products healthy: ${figures(baseline)}; while payment was slow: ${figures(duringOpen)}`,
      ].join("\n"),
    );
    for (const rejected of fast) {
      expect(rejected.status).toBe("REJECTED");
      expect(["PAYMENT_TIMEOUT", "PAYMENT_UNAVAILABLE"]).toContain(rejected.reason ?? "");
    }
    // Saga overhead included, a rejection comes sooner than the provider's deadlines alone would allow, and
    // far sooner than the checkouts that waited on the provider.
    expect(failFastMs).toBeLessThan(TIMEOUT_MS * ATTEMPTS);
    expect(failFastMs).toBeLessThan(slowestWaitMs / 2);
    // The catalog never waits on the provider: its latency stays well under one provider attempt.
    expect(percentile(duringOpen, 99)).toBeLessThan(Math.max(1_000, percentile(baseline, 99) * 5));

    // The provider recovers: after the half-open delay a trial call succeeds and the breaker closes.
    await setProviderLatency(w, HEALTHY_MS);
    let recovered: Awaited<ReturnType<typeof timedCheckout>> | undefined;
    await waitUntil(
      async () => {
        recovered = await timedCheckout(w, storeId);
        return recovered.status === "CONFIRMED";
      },
      "a checkout confirms after the provider recovered",
      60_000,
    );
    const after = await breaker(w);
    expect(after.state).toBe(0);
    expect(after.halfOpened).toBeGreaterThanOrEqual(1);

    console.log(
      `  after recovery: ${recovered?.status} in ${recovered?.ms} ms; breaker half-opened ${after.halfOpened}×, now closed`,
    );
  }, 300_000);
});
