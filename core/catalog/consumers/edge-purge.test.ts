import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  PurgeBody,
  type PurgeScope,
  verifyRequest,
  withPrefix,
} from "@qc/contracts";
import type { Kysely } from "kysely";
import { awaitOutbox, outboxOf, publish } from "../../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../../shared/testing/service";
import type { Database } from "../db/schema";
import { catalogService } from "../main";

const secret = "catalog-purge-test-secret";
const storeId = "0193a000-0000-7000-8000-0000000000c1";
const sku = "PURGE-TEST-1";

interface Received {
  scopes: PurgeScope[];
  /** The read model's stock at the moment the purge arrived. */
  availableThen: number | undefined;
}

let env: TestEnvironment;
let catalog: TestService;
let db: Kysely<Database>;
const received: Received[] = [];

// The edge's port is reserved up front, but the stand-in only starts listening in the first test.
const edgePort = (() => {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
})();
let edge: ReturnType<typeof Bun.serve> | undefined;

// An edge stand-in that checks the signature as the Worker does and looks at the read model when a purge
// arrives: a purge that raced ahead of the commit would see the old stock.
const startEdge = () =>
  Bun.serve({
    hostname: "127.0.0.1",
    port: edgePort,
    async fetch(request) {
      const text = await request.text();
      const verdict = await verifyRequest({
        secret,
        method: request.method,
        path: new URL(request.url).pathname,
        timestamp: request.headers.get(EDGE_TIMESTAMP_HEADER),
        signature: request.headers.get(EDGE_SIGNATURE_HEADER),
        body: text,
        now: Date.now(),
      });
      if (!verdict.ok) return new Response(null, { status: 401 });
      const { scopes } = PurgeBody.parse(JSON.parse(text));
      const row = await db
        .selectFrom("store_products")
        .select("available")
        .where("store_id", "=", storeId)
        .where("sku", "=", sku)
        .executeTakeFirst();
      received.push({ scopes, availableThen: row?.available });
      return new Response(null, { status: 204 });
    },
  });

beforeAll(async () => {
  env = await testEnvironment({
    database: "qc_test_catalog_purge",
    env: { EDGE_PURGER: "edge", EDGE_URL: `http://127.0.0.1:${edgePort}`, PURGE_SECRET: secret },
  });
  catalog = await env.start(catalogService);
  db = env.db("catalog");
});
afterAll(async () => {
  await env.stop();
  edge?.stop(true);
}, 30_000);

const waitUntil = async (done: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(25);
  }
};

describe("edge purge after catalog changes", () => {
  it("waits for an edge that is not listening yet, without dead-lettering, and purges once it is", async () => {
    await publish(catalog, "StockLevelChanged", { storeId, sku, onHand: 10, reserved: 0, available: 10 });
    await awaitOutbox(db, storeId, "CatalogEntryChanged");
    // Long enough for the old behaviour (3 attempts, 500 ms apart) to have dead-lettered it.
    await Bun.sleep(4_000);
    expect(received).toEqual([]);
    edge = startEdge();
    await waitUntil(() => received.some((purge) => purge.availableThen === 10));
    expect(received.flatMap((purge) => purge.scopes)).toContainEqual({ kind: "product", storeId, sku });
    const deadLetters = await catalog.ctx.bus.readTopic(
      withPrefix(env.config.TOPIC_PREFIX, "catalog.events.v1.dlq"),
    );
    expect(deadLetters).toEqual([]);
  }, 30_000);

  it("purges only the changed product in its store after each committed stock change, coalesced", async () => {
    received.length = 0;
    await publish(catalog, "PriceChanged", { storeId, sku, price: { amountMinor: 100, currency: "INR" } });
    for (const available of [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) {
      await publish(catalog, "StockLevelChanged", {
        storeId,
        sku,
        onHand: available,
        reserved: 0,
        available,
      });
    }
    // The earlier test's stock change, the price, and these ten levels: an entry changed several times in one
    // group commit is announced once, so there are at most ten announcements for them, and at least one.
    const announced = await awaitOutbox(db, storeId, "CatalogEntryChanged", { count: 3 });
    await waitUntil(() =>
      received.some(
        (purge) => purge.availableThen === 0 && purge.scopes.some(({ kind }) => kind === "product"),
      ),
    );
    const changed = (await outboxOf(db, storeId, "CatalogEntryChanged")).map(
      (message) => (message.data as { changed: string }).changed,
    );
    expect(changed.filter((what) => what === "stock").length).toBeWithin(2, 12);
    expect(changed).toContain("price");
    expect(announced[0]?.data).toMatchObject({ storeId, sku });

    await waitUntil(() =>
      received.some(
        (purge) => purge.availableThen === 0 && purge.scopes.some(({ kind }) => kind === "product"),
      ),
    );
    const scopes = received.flatMap((purge) => purge.scopes);
    // Stock retires the product's page in that store; the price, which listings show, the store.
    expect(scopes).toContainEqual({ kind: "product", storeId, sku });
    expect(scopes).toContainEqual({ kind: "store", storeId });
    const expected: PurgeScope[] = [
      { kind: "product", storeId, sku },
      { kind: "store", storeId },
    ];
    for (const scope of scopes) expect(expected).toContainEqual(scope);
    // The last stock purge came after the last level had committed, never before.
    const stockPurges = received.filter((purge) => purge.scopes.some(({ kind }) => kind === "product"));
    expect(stockPurges.at(-1)?.availableThen).toBe(0);
    // Eleven changes, coalesced: fewer calls than changes, and no scope twice in one call.
    await Bun.sleep(500);
    expect(received.length).toBeLessThan(11);
    for (const purge of received)
      expect(new Set(purge.scopes.map((s) => JSON.stringify(s))).size).toBe(purge.scopes.length);
  });

  it("gathers a burst of stock changes across products into a few calls naming each product once", async () => {
    received.length = 0;
    const skus = Array.from({ length: 20 }, (_, i) => `BURST-${i}`);
    await Promise.all(
      skus.map((one) =>
        publish(catalog, "StockLevelChanged", { storeId, sku: one, onHand: 3, reserved: 0, available: 3 }),
      ),
    );
    const purged = () =>
      received.flatMap((purge) => purge.scopes).filter((scope) => scope.kind === "product");
    await waitUntil(
      () => new Set(purged().map((scope) => (scope as { sku: string }).sku)).size === skus.length,
    );
    expect(received.length).toBeLessThanOrEqual(4);
    expect(purged()).toHaveLength(skus.length);
  });

  it("purges product data everywhere when a product changes, and serviceability when a store does", async () => {
    received.length = 0;
    const product = await catalog.call("POST", "/v1/admin/products", {
      user: { userId: Bun.randomUUIDv7(), roles: ["admin"] },
      body: { sku: "PURGE-TEST-2", name: "Purge test", category: "Tests", prices: [] },
    });
    expect(product.status).toBe(200);
    const store = await catalog.call("POST", "/v1/admin/stores", {
      user: { userId: Bun.randomUUIDv7(), roles: ["admin"] },
      body: { name: "Purge store", location: { lat: 12.9, lng: 77.6 }, serviceRadiusMeters: 2_000 },
    });
    expect(store.status).toBe(201);
    const { storeId: newStore } = (await store.json()) as { storeId: string };
    const scopes = () => received.flatMap((purge) => purge.scopes);
    await waitUntil(() => scopes().some((scope) => scope.kind === "stores"));
    await waitUntil(() => scopes().some((scope) => scope.kind === "catalog"));
    expect(scopes()).toContainEqual({ kind: "store", storeId: newStore });
  });
});
