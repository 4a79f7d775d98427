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
 * `npm run bench -- checkout-edge [C=32] [S=30]`
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dropDatabase } from "../../core/shared/db";
import { SERVICE_NAMES } from "../../core/shared/runtime/context";
import { quietPort } from "../../core/shared/testing/ports";
import { type Platform, startPlatform } from "../platform/start";
import { cpuReport, cpuSnapshot } from "./support/process-cpu";

const concurrency = Number(process.argv[3] ?? 32);
const seconds = Number(process.argv[4] ?? 30);
if (!(concurrency >= 1 && seconds >= 1)) {
  console.error("usage: npm run bench -- checkout-edge [shoppers=32] [seconds=30]");
  process.exit(2);
}

const root = resolve(import.meta.dir, "../..");
const run = crypto.randomUUID().slice(0, 8);
const say = (line: string) => console.log(`[checkout-edge] ${line}`);
const skus = Array.from({ length: 8 }, (_, index) => `EDGE-BENCH-${index + 1}`);
const store = { lat: 52.52, lng: 13.405 };
const address = { line1: "Bench street 1", lat: 52.521, lng: 13.407 };
// Riders stay busy until delivered, so there is one per order the run could confirm (up to 120/s).
const riders = Math.min(6_000, Math.max(200, seconds * 120));
const database = `postgres://postgres@127.0.0.1:5432/qc_bench_edge_${run}`;
const persistTo = mkdtempSync(join(tmpdir(), "qc-bench-edge-"));
mkdirSync(join(root, ".qc/bench"), { recursive: true });
const logFile = join(root, `.qc/bench/checkout-edge-${run}.log`);

let platform: Platform | undefined;
let finished = false;
const cleanUp = async () => {
  await platform?.stop();
  rmSync(persistTo, { recursive: true, force: true });
  await dropDatabase(database).catch(() => {});
};
// Bounded: start-up, seeding and the drain take minutes at most; past that, stop everything and fail.
const watchdog = setTimeout(
  () => {
    say("did not finish in time; stopping everything");
    void cleanUp().finally(() => process.exit(3));
  },
  (seconds + 480) * 1000,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void cleanUp().finally(() => process.exit(finished ? 0 : 130)));
}

type Call = { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number };

const call = async (method: string, path: string, options: Call = {}) => {
  if (!platform) throw new Error("platform not started");
  return fetch(platform.edgeUrl + path, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
};

/** The JSON of a 2xx answer; anything else throws with the status and body. */
const json = async <T>(response: Promise<Response>, what: string): Promise<T> => {
  const answer = await response;
  if (!answer.ok) throw new Error(`${what}: ${answer.status} ${await answer.text()}`);
  return (await answer.json()) as T;
};

const login = async (email: string, password: string) =>
  (
    await json<{ accessToken: string }>(
      call("POST", "/v1/auth/login", { body: { email, password } }),
      `login ${email}`,
    )
  ).accessToken;

/** Runs `work` for 0..count-1, `parallel` at a time. */
const inParallel = async (count: number, parallel: number, work: (index: number) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
};

const withRetries = async <T>(what: string, attempt: () => Promise<T>, tries = 60): Promise<T> => {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= tries) throw new Error(`${what}: ${error instanceof Error ? error.message : error}`);
      await Bun.sleep(500);
    }
  }
};

try {
  const ports = Object.fromEntries(
    SERVICE_NAMES.map((name) => [`${name.toUpperCase()}_PORT`, String(quietPort())]),
  );
  say(`starting the platform (log: ${logFile})`);
  platform = await startPlatform({
    env: {
      ...ports,
      DATABASE_URL: database,
      TOPIC_PREFIX: `bench${run}`,
      KAFKA_CLIENT_ID: `bench-edge-${run}`,
      EDGE_URL: `http://127.0.0.1:${quietPort()}`,
      EDGE_INSPECTOR_PORT: String(quietPort()),
      UPSTASH_PORT: String(quietPort()),
      EDGE_PURGER: "edge",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
    edgeVars: {
      RATE_LIMIT_CHECKOUT_PER_MINUTE: "1000000",
      RATE_LIMIT_USER_PER_MINUTE: "1000000",
      RATE_LIMIT_CREDENTIALS_PER_MINUTE: "1000000",
      RATE_LIMIT_IP_PER_MINUTE: "100000000",
    },
    seed: false,
    edgeLogLevel: "warn",
    logFile,
    persistTo,
    log: say,
    onUnexpectedExit: (name, code) => say(`${name} exited with ${code} during the run`),
  });
  const { config } = platform;

  say(`seeding a store with ${skus.length} products and ${riders} riders through the admin API`);
  const admin = await login(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
  const { storeId } = await json<{ storeId: string }>(
    call("POST", "/v1/admin/stores", {
      token: admin,
      body: { name: `Bench store ${run}`, location: store, serviceRadiusMeters: 5_000 },
    }),
    "create store",
  );
  for (const sku of skus) {
    await json(
      call("POST", "/v1/admin/products", {
        token: admin,
        body: { sku, name: `Bench product ${sku}`, category: "bench", unit: "1 pc" },
      }),
      `product ${sku}`,
    );
    await json(
      call("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, {
        token: admin,
        body: { price: { amountMinor: 1_500, currency: "EUR" } },
      }),
      `price ${sku}`,
    );
    await json(
      call("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, { token: admin, body: { onHand: 1_000_000 } }),
      `stock ${sku}`,
    );
  }
  // Delivery learns the store from catalog's StoreUpserted: 422 until then.
  await withRetries("first rider", () =>
    json(
      call("POST", `/v1/admin/stores/${storeId}/riders`, { token: admin, body: { name: "Rider 1" } }),
      "rider",
    ),
  );
  await inParallel(riders - 1, 16, (index) =>
    json(
      call("POST", `/v1/admin/stores/${storeId}/riders`, {
        token: admin,
        body: { name: `Rider ${index + 2}` },
      }),
      "rider",
    ).then(() => {}),
  );

  say(`registering ${concurrency} shoppers through the edge`);
  const shoppers: string[] = new Array(concurrency);
  await inParallel(concurrency, 8, async (index) => {
    const email = `bench-${run}-${index}@example.com`;
    const password = "bench-password-123";
    await json(
      call("POST", "/v1/auth/register", { body: { email, password, name: `Shopper ${index}` } }),
      `register ${email}`,
    );
    shoppers[index] = await login(email, password);
  });

  const outcomes = new Map<string, number>();
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  // What the shoppers sent: whether core honoured `Prefer: wait` (201) or they had to poll (202).
  const requests = { answered201: 0, answered202: 0, polls: 0 };
  const latencies: number[] = [];

  /** One checkout: cart, POST with Prefer: wait=10, then polling while still PENDING; the final status. */
  const checkout = async (token: string, record: boolean): Promise<string> => {
    const sku = skus[Math.floor(Math.random() * skus.length)];
    const cart = await call("PUT", `/v1/cart/items/${sku}`, { token, body: { storeId, quantity: 1 } });
    if (!cart.ok)
      return record ? `cart ${cart.status}` : `cart ${cart.status} ${(await cart.text()).slice(0, 500)}`;
    await cart.body?.cancel();
    const started = performance.now();
    const placed = await call("POST", "/v1/orders", {
      token,
      body: { storeId, address, payment: { token: "tok_visa" } },
      headers: { "idempotency-key": crypto.randomUUID(), prefer: "wait=10" },
      timeoutMs: 40_000,
    });
    if (placed.status !== 201 && placed.status !== 202) {
      const problem = await placed.text();
      // The warm-up checkout says why; during the run only the status is counted.
      return record ? `checkout ${placed.status}` : `checkout ${placed.status} ${problem.slice(0, 500)}`;
    }
    if (record) requests[placed.status === 201 ? "answered201" : "answered202"]++;
    let order = (await placed.json()) as { orderId: string; status: string; reason?: string | null };
    const deadline = Date.now() + 30_000;
    while (order.status === "PENDING" && Date.now() < deadline) {
      await Bun.sleep(100);
      if (record) requests.polls++;
      const polled = await call("GET", `/v1/orders/${order.orderId}`, { token });
      if (polled.ok) order = (await polled.json()) as typeof order;
      else await polled.body?.cancel();
    }
    if (order.status === "CONFIRMED" && record) latencies.push(performance.now() - started);
    return order.status === "REJECTED" ? `REJECTED ${order.reason ?? "?"}` : order.status;
  };

  // One checkout first: it waits out the read models catching up and warms every path.
  const first = shoppers[0] as string;
  await withRetries(
    "a first checkout",
    async () => {
      const status = await checkout(first, false);
      if (status !== "CONFIRMED") throw new Error(status);
    },
    20,
  );

  say(`${concurrency} shoppers checking out for ${seconds} s`);
  const before = cpuSnapshot({ root: process.pid });
  const started = performance.now();
  const endAt = started + seconds * 1000;
  await Promise.all(
    shoppers.map(async (token) => {
      while (performance.now() < endAt) {
        try {
          count(await checkout(token, true));
        } catch (error) {
          count(error instanceof Error && error.name === "TimeoutError" ? "client timeout" : "client error");
          await Bun.sleep(200);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = cpuSnapshot({ root: process.pid });

  const confirmed = outcomes.get("CONFIRMED") ?? 0;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  console.log(
    `checkout-edge: ${concurrency} shoppers, ${elapsed.toFixed(1)} s: ${(confirmed / elapsed).toFixed(1)} confirmed ` +
      `orders/s, checkout POST→CONFIRMED p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms; ` +
      `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; POST answered 201 ×${requests.answered201}, ` +
      `202 ×${requests.answered202}, then ${requests.polls} polls`,
  );
  cpuReport(before, after, confirmed);
  console.log(
    "(postgres, kafka and redis are the machine's shared servers: other work on this machine counts there)",
  );
  finished = true;
} catch (error) {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  say("stopping the platform");
  await cleanUp();
}
process.exit(process.exitCode ?? 0);
