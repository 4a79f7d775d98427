import { signRequest } from "@qc/contracts";
import { describe, expect, it } from "vitest";
import { edge, env, freshIp, receivedByCore, requestId } from "../../../test/helpers";

const read = (path: string, id = requestId()) =>
  edge(path, { headers: { "x-request-id": id, "cf-connecting-ip": freshIp() } });

async function served(response: Response): Promise<number> {
  return (await response.json<{ served: number }>()).served;
}

/** Makes the cached entries whose key mentions `marker` look `seconds` older. */
async function age(marker: string, seconds: number) {
  const { keys } = await env.CACHE.list({ prefix: "cache:v1:" });
  const names = keys.map((key) => key.name).filter((name) => name.includes(marker));
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) {
    const entry = await env.CACHE.getWithMetadata<{ storedAt: number; status: number; contentType: string }>(
      name,
      "text",
    );
    if (!entry.value || !entry.metadata) continue;
    await env.CACHE.put(name, entry.value, {
      metadata: { ...entry.metadata, storedAt: entry.metadata.storedAt - seconds * 1000 },
    });
  }
}

async function purge(body: unknown, secret = env.PURGE_SECRET, timestamp = Date.now()) {
  const text = JSON.stringify(body);
  const signature = await signRequest({
    secret,
    method: "POST",
    path: "/internal/purge",
    timestamp,
    body: text,
  });
  return edge("/internal/purge", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-edge-timestamp": String(timestamp),
      "x-edge-signature": signature,
    },
    body: text,
  });
}

describe("readCache", () => {
  it("misses, fills from core, then hits without calling core again", async () => {
    const store = crypto.randomUUID();
    const path = `/v1/catalog/products?storeId=${store}&limit=5`;
    const first = await read(path);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const secondId = requestId();
    const second = await read(path, secondId);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await served(second)).toBe(await served(first));
    expect(await receivedByCore(secondId)).toEqual([]);
  });

  it("shares an entry between the same query in any order", async () => {
    const store = crypto.randomUUID();
    await read(`/v1/catalog/products?storeId=${store}&limit=5&category=fruit`);
    const again = await read(`/v1/catalog/products?category=fruit&limit=5&storeId=${store}`);
    expect(again.headers.get("x-cache")).toBe("HIT");
  });

  it("serves a stale entry at once and refreshes it in the background", async () => {
    const store = crypto.randomUUID();
    const path = `/v1/catalog/categories?storeId=${store}`;
    const original = await served(await read(path));
    await age(store, 31);
    const stale = await read(path);
    expect(stale.headers.get("x-cache")).toBe("STALE");
    expect(await served(stale)).toBe(original);
    // waitUntil has run: the entry was refilled from core.
    const refreshed = await read(path);
    expect(refreshed.headers.get("x-cache")).toBe("HIT");
    expect(await served(refreshed)).toBeGreaterThan(original);
  });

  it("caches a 404 (not serviceable) as well", async () => {
    const path = `/v1/stores/serviceable?lat=12.9${Math.floor(Math.random() * 1e6)}&lng=77.6`;
    expect((await read(path)).headers.get("x-cache")).toBe("MISS");
    expect((await read(path)).headers.get("x-cache")).toBe("HIT");
  });

  it("retires every entry of a store when a signed purge bumps its version", async () => {
    const store = crypto.randomUUID();
    const other = crypto.randomUUID();
    const path = `/v1/catalog/products/MILK-1?storeId=${store}`;
    await read(path);
    await read(`/v1/catalog/products/MILK-1?storeId=${other}`);
    expect((await purge({ scopes: [{ kind: "store", storeId: store }] })).status).toBe(204);
    expect((await read(path)).headers.get("x-cache")).toBe("MISS");
    expect((await read(`/v1/catalog/products/MILK-1?storeId=${other}`)).headers.get("x-cache")).toBe("HIT");
  });

  it("refuses a purge with a wrong signature or an old timestamp", async () => {
    const scopes = { scopes: [{ kind: "catalog" }] };
    expect((await purge(scopes, "not-the-secret")).status).toBe(401);
    expect((await purge(scopes, env.PURGE_SECRET, Date.now() - 60_000)).status).toBe(401);
  });

  it("names the bad fields of a signed but malformed purge", async () => {
    const response = await purge({ scopes: [{ kind: "store", storeId: "nope" }] });
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { path: string }[] }>()).errors.map((e) => e.path)).toEqual([
      "scopes.0.storeId",
    ]);
  });
});
