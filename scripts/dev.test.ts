import { afterAll, describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig, localPostgresUrl } from "../core/shared/config";
import { dropDatabase } from "../core/shared/db";
import { SERVICE_NAMES } from "../core/shared/runtime/context";
import { quietPorts } from "../core/shared/testing/ports";

const root = resolve(import.meta.dir, "..");

// Ports below the ephemeral range (the platform starts over a minute, and an outgoing connection could take a
// port 0 handed out before it), all different: each service's gRPC port is picked too, since the default (its
// HTTP port + 1000) may be one of the others (a CI run lost cart's gRPC port to one).
const [kafkaPort, edgePort, inspectorPort, upstashPort, ...servicePorts] = quietPorts(
  4 + 2 * SERVICE_NAMES.length,
);

/** Every process below `pid`, read from /proc (children, grandchildren: wrangler's workerd, Kafka's JVM…). */
const descendantsOf = (pid: number): number[] => {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

/**
 * What a new operator does the moment `npm run dev` says ready: a store, its 25 riders, a product with its
 * price and stock, and a shopper's order, all through the edge. Every call must succeed the first time.
 */
async function stockANewStoreAndSell(edge: string, adminToken: string) {
  const call = async (method: string, path: string, token: string, body?: unknown, headers = {}) => {
    const response = await fetch(`${edge}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json().catch(() => null)) as Record<string, unknown>,
    };
  };
  const where = { lat: 52.5, lng: 13.4 };
  const store = await call("POST", "/v1/admin/stores", adminToken, {
    name: "Opened today",
    location: where,
    serviceRadiusMeters: 3_000,
  });
  expect(store.status).toBe(201);
  const storeId = String(store.body.storeId);
  const riders = await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      call("POST", `/v1/admin/stores/${storeId}/riders`, adminToken, { name: `Rider ${i + 1}` }),
    ),
  );
  expect(riders.map((rider) => rider.status)).toEqual(Array(25).fill(201));
  const sku = "DILL-30G";
  const price = { amountMinor: 199, currency: "EUR" };
  const product = await call("POST", "/v1/admin/products", adminToken, {
    sku,
    name: "Dill",
    category: "Herbs",
    unit: "30 g",
    prices: [{ storeId, price }],
  });
  expect(product.status).toBe(200);
  const stock = await call("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, adminToken, { onHand: 20 });
  expect(stock.status).toBe(200);
  const read = await fetch(`${edge}/v1/catalog/products/${sku}?storeId=${storeId}`);
  expect(read.status).toBe(200);
  expect(await read.json()).toMatchObject({ sku, price });

  const email = `first-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = "correct horse battery";
  expect((await call("POST", "/v1/auth/register", "", { email, password, name: "First" })).status).toBe(201);
  const session = await call("POST", "/v1/auth/login", "", { email, password });
  const shopper = String(session.body.accessToken);
  expect((await call("PUT", `/v1/cart/items/${sku}`, shopper, { storeId, quantity: 2 })).status).toBe(200);
  const placed = await call(
    "POST",
    "/v1/orders",
    shopper,
    { storeId, address: { line1: "Torstr. 1", ...where }, payment: { token: "tok_visa" } },
    { "idempotency-key": crypto.randomUUID(), prefer: "wait=10" },
  );
  expect([201, 202]).toContain(placed.status);
  let status = String(placed.body.status);
  for (let attempt = 0; attempt < 60 && status === "PENDING"; attempt++) {
    await Bun.sleep(250);
    status = String((await call("GET", `/v1/orders/${placed.body.orderId}`, shopper)).body.status);
  }
  expect(status).toBe("CONFIRMED");

  // The shopper follows the order live through the edge; a cancel reaches the stream, which then ends.
  const live = await fetch(`${edge}/v1/orders/${placed.body.orderId}/events`, {
    headers: { authorization: `Bearer ${shopper}` },
  });
  expect(live.headers.get("content-type")).toContain("text/event-stream");
  const cancel = await call("POST", `/v1/orders/${placed.body.orderId}/cancel`, shopper);
  expect(cancel.status).toBe(202);
  const streamed = await Promise.race([live.text(), Bun.sleep(30_000).then(() => "(still open after 30 s)")]);
  const statuses = [...streamed.matchAll(/^data: (.*)$/gm)].map((line) => JSON.parse(line[1] ?? "{}").status);
  expect(statuses).toEqual(["CONFIRMED", "CANCELLED"]);
}

describe("npm run dev", () => {
  const database = localPostgresUrl(`qc_dev_${crypto.randomUUID().slice(0, 8)}`);
  afterAll(async () => {
    await dropDatabase(database, { derived: true });
    rmSync(join(root, `.qc/kafka/data-${kafkaPort}`), { recursive: true, force: true });
    rmSync(join(root, `.qc/wrangler/${edgePort}`), { recursive: true, force: true });
  });

  it("starts the whole platform behind the edge, ready for an operator's first store and a first order at once, and leaves no process behind once stopped", async () => {
    const edge = `http://127.0.0.1:${edgePort}`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: database,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      TOPIC_PREFIX: `dev${crypto.randomUUID().slice(0, 6)}`,
      EDGE_URL: edge,
      EDGE_INSPECTOR_PORT: String(inspectorPort),
      UPSTASH_PORT: String(upstashPort),
      LOG_LEVEL: "warn",
      // As a developer runs it, not as bun test's own NODE_ENV=test (which switches the edge pushes off).
      NODE_ENV: "development",
      ...Object.fromEntries(
        SERVICE_NAMES.flatMap((name, i) => [
          [`${name.toUpperCase()}_PORT`, String(servicePorts[2 * i])],
          [`${name.toUpperCase()}_GRPC_PORT`, String(servicePorts[2 * i + 1])],
        ]),
      ),
    };
    const dev = Bun.spawn([process.execPath, "scripts/dev.ts"], {
      cwd: root,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    // Everything the platform prints, kept (and the pipes drained, so it never blocks on a full one): a
    // failure below carries its tail, since a CI log may keep nothing else of it.
    let output = "";
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
    };
    void collect(dev.stdout);
    void collect(dev.stderr);
    try {
      const deadline = Date.now() + 240_000;
      while (!output.includes("[dev] ready:") && Date.now() < deadline && dev.exitCode === null) {
        await Bun.sleep(250);
      }
      const startUp = output;
      expect(startUp).toContain("[dev] ready:");
      expect(startUp).toContain("/docs");
      // A newcomer's first minute reads cleanly: no stack trace and no dead letter while all is well.
      expect(startUp).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(startUp).not.toContain("dead-lettered");
      // Nor a warning: the edge coming up after core (catalog's purges wait for it) is expected, not alarming.
      expect(startUp.split("\n").filter((line) => /\bWARN\b/.test(line))).toEqual([]);

      // Which service is up only an operator sees: the bootstrap admin logs in through the edge.
      const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = loadConfig({});
      const login = await fetch(`${edge}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      expect(login.status).toBe(200);
      const { accessToken } = (await login.json()) as { accessToken: string };
      await stockANewStoreAndSell(edge, accessToken);
      // Readiness probes answer within 1.5 s; on a loaded machine one can miss right after start-up.
      let view: { services?: Record<string, { status: string }> } = {};
      for (let attempt = 0; attempt < 20; attempt++) {
        const health = await fetch(`${edge}/v1/health`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        view = (await health.json()) as typeof view;
        if (health.status === 200) break;
        await Bun.sleep(1_000);
      }
      for (const name of SERVICE_NAMES) {
        expect({ name, ...view.services?.[name] }).toMatchObject({ name, status: "ok" });
      }

      const started = descendantsOf(dev.pid);
      // One process per core service, as in production, besides the Upstash server, wrangler + workerd, Kafka.
      const commandLines = started.map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        } catch {
          return "";
        }
      });
      for (const name of SERVICE_NAMES) {
        expect(commandLines.filter((line) => line.includes(`core/${name}/main.ts`))).toHaveLength(1);
      }
      expect(commandLines.some((line) => line.includes("core/main.ts"))).toBe(false);
      expect(started.length).toBeGreaterThanOrEqual(SERVICE_NAMES.length + 3);
      dev.kill("SIGTERM");
      expect(await dev.exited).toBe(0);
      await Bun.sleep(500);
      expect(started.filter(alive)).toEqual([]);
    } catch (error) {
      const tail = output.trimEnd().split("\n").slice(-60).join("\n");
      throw new Error(
        `${error instanceof Error ? error.message : error}\n\nnpm run dev printed, last lines:\n${tail}`,
        {
          cause: error,
        },
      );
    } finally {
      // A failed expectation must not leave the platform running.
      if (dev.exitCode === null) {
        dev.kill("SIGTERM");
        await dev.exited;
      }
    }
  }, 300_000);
});
