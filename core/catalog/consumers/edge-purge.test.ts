import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  PurgeBody,
  type PurgeScope,
  verifyRequest,
} from "@qc/contracts";
import type { Kysely } from "kysely";
import { awaitOutbox, publish } from "../../shared/testing/messages";
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

// An edge stand-in that checks the signature as the Worker does and looks at the read model when a purge
// arrives: a purge that raced ahead of the commit would see the old stock.
const edge = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
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
    env: { EDGE_PURGER: "edge", EDGE_URL: `http://127.0.0.1:${edge.port}`, PURGE_SECRET: secret },
  });
  catalog = await env.start(catalogService);
  db = env.db("catalog");
});
afterAll(async () => {
  await env.stop();
  edge.stop(true);
}, 30_000);

const waitUntil = async (done: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(25);
  }
};

describe("edge purge after catalog changes", () => {
  it("announces a committed stock change and purges the store only once the new level is readable", async () => {
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
    const announced = await awaitOutbox(db, storeId, "CatalogEntryChanged", { count: 11 });
    // Price and stock come from different topics, so only their counts are certain, not their order.
    const changed = announced.map((message) => (message.data as { changed: string }).changed);
    expect(changed.filter((what) => what === "stock")).toHaveLength(10);
    expect(changed).toContain("price");
    expect(announced[0]?.data).toMatchObject({ storeId, sku });

    await waitUntil(() => received.some((purge) => purge.availableThen === 0));
    for (const purge of received) expect(purge.scopes).toEqual([{ kind: "store", storeId }]);
    // The last purge came after the last level had committed, never before.
    expect(received.at(-1)?.availableThen).toBe(0);
    // Eleven changes of one store, coalesced: fewer calls than changes.
    await Bun.sleep(500);
    expect(received.length).toBeLessThan(11);
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
