import { signRequest } from "@qc/contracts";
import { describe, expect, it } from "vitest";
import { edge, env, freshIp, requestId } from "../../test/helpers";
import { LISTING_FRESH_SECONDS } from "./catalog";

const read = (path: string) =>
  edge(path, { headers: { "x-request-id": requestId(), "cf-connecting-ip": freshIp() } });
const cacheOf = async (path: string) => (await read(path)).headers.get("x-cache");

async function purge(scopes: unknown[]) {
  const text = JSON.stringify({ scopes });
  const timestamp = Date.now();
  const signature = await signRequest({
    secret: env.PURGE_SECRET,
    method: "POST",
    path: "/internal/purge",
    timestamp,
    body: text,
  });
  const response = await edge("/internal/purge", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-edge-timestamp": String(timestamp),
      "x-edge-signature": signature,
    },
    body: text,
  });
  expect(response.status).toBe(204);
}

/** Makes the cached entries whose key mentions `marker` look `seconds` older. */
async function age(marker: string, seconds: number) {
  const { keys } = await env.CACHE.list({ prefix: "cache:v1:" });
  for (const { name } of keys.filter((key) => key.name.includes(marker))) {
    const entry = await env.CACHE.getWithMetadata<{ storedAt: number }>(name, "text");
    if (!entry.value || !entry.metadata) continue;
    await env.CACHE.put(name, entry.value, {
      metadata: { ...entry.metadata, storedAt: entry.metadata.storedAt - seconds * 1000 },
    });
  }
}

describe("/v1/catalog cache scopes", () => {
  it("retires only the changed product's page in that store when its stock changes", async () => {
    const store = crypto.randomUUID();
    const other = crypto.randomUUID();
    const milk = `/v1/catalog/products/MILK-1?storeId=${store}`;
    const bread = `/v1/catalog/products/BREAD-1?storeId=${store}`;
    const milkElsewhere = `/v1/catalog/products/MILK-1?storeId=${other}`;
    const listing = `/v1/catalog/products?storeId=${store}&limit=20`;
    for (const path of [milk, bread, milkElsewhere, listing]) expect(await cacheOf(path)).toBe("MISS");

    await purge([{ kind: "product", storeId: store, sku: "MILK-1" }]);
    expect(await cacheOf(milk)).toBe("MISS");
    expect(await cacheOf(bread)).toBe("HIT");
    expect(await cacheOf(milkElsewhere)).toBe("HIT");
    expect(await cacheOf(listing)).toBe("HIT");
  });

  it("retires every page and listing of a store when its prices change", async () => {
    const store = crypto.randomUUID();
    const milk = `/v1/catalog/products/MILK-1?storeId=${store}`;
    const listing = `/v1/catalog/products?storeId=${store}&limit=20`;
    await read(milk);
    await read(listing);
    await purge([{ kind: "store", storeId: store }]);
    expect(await cacheOf(milk)).toBe("MISS");
    expect(await cacheOf(listing)).toBe("MISS");
  });

  it("serves a listing older than its short freshness stale while it is refreshed, a product page fresh", async () => {
    const store = crypto.randomUUID();
    const listing = `/v1/catalog/categories?storeId=${store}`;
    const milk = `/v1/catalog/products/MILK-1?storeId=${store}`;
    await read(listing);
    await read(milk);
    await age(store, LISTING_FRESH_SECONDS + 1);
    expect(await cacheOf(listing)).toBe("STALE");
    expect(await cacheOf(listing)).toBe("HIT"); // refilled in the background
    expect(await cacheOf(milk)).toBe("HIT");
  });
});
