import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createRedis } from "../redis";
import { createLayeredCache } from "./layered-cache";

type Price = { amountMinor: number };
const redis = createRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
beforeAll(() => redis.connect());
afterAll(() => redis.close());

/** Two "instances" of one cache share a name (and so Redis) but each has its own LRU. */
const instancesOf =
  (name = `test-${crypto.randomUUID()}`, localTtlMs = 60_000) =>
  () =>
    createLayeredCache<Price>({ name, redis, redisTtlMs: 60_000, localTtlMs });

const counting = () => {
  const loader = async (): Promise<Price> => {
    loader.calls++;
    return { amountMinor: loader.calls * 100 };
  };
  loader.calls = 0;
  return loader;
};

describe("layered cache", () => {
  it("serves the second read from the in-process LRU without touching the loader", async () => {
    const cache = instancesOf()();
    const loader = counting();
    expect(await cache.get("k", loader)).toEqual({ amountMinor: 100 });
    expect(await cache.get("k", loader)).toEqual({ amountMinor: 100 });
    expect(loader.calls).toBe(1);
    expect(cache.stats()).toMatchObject({
      local: { hits: 1, misses: 1 },
      redis: { hits: 0, misses: 1 },
      loads: 1,
    });
  });

  it("serves another instance's load from Redis", async () => {
    const instance = instancesOf();
    const [a, b] = [instance(), instance()];
    const loader = counting();
    await a.get("k", loader);
    expect(await b.get("k", loader)).toEqual({ amountMinor: 100 });
    expect(loader.calls).toBe(1);
    expect(b.stats()).toMatchObject({ local: { hits: 0, misses: 1 }, redis: { hits: 1, misses: 0 } });
  });

  it("keeps a stale local copy until invalidated, then shows the written-through value", async () => {
    const instance = instancesOf();
    const [writer, reader] = [instance(), instance()];
    await reader.get("k", async () => ({ amountMinor: 1 }));
    await writer.set("k", { amountMinor: 2 });
    expect(await reader.get("k", counting())).toEqual({ amountMinor: 1 });
    reader.invalidateLocal("k");
    expect(await reader.get("k", counting())).toEqual({ amountMinor: 2 });
    expect(reader.stats().invalidations).toBe(1);
  });

  it("loads a missing key once for concurrent readers", async () => {
    const cache = instancesOf()();
    const loader = counting();
    await Promise.all(Array.from({ length: 20 }, () => cache.get("k", loader)));
    expect(loader.calls).toBe(1);
  });

  it("caches that a key has no value", async () => {
    const cache = instancesOf()();
    let calls = 0;
    const loader = async () => {
      calls++;
      return null;
    };
    expect(await cache.get("missing", loader)).toBeNull();
    expect(await cache.get("missing", loader)).toBeNull();
    expect(calls).toBe(1);
  });

  it("refreshes a hot key in the background when a hit is near expiry", async () => {
    const cache = instancesOf(undefined, 200)();
    const loader = counting();
    await cache.get("k", loader);
    await Bun.sleep(170); // inside the last 20% of the local TTL
    expect(await cache.get("k", loader)).toEqual({ amountMinor: 100 }); // the hit answers at once
    await Bun.sleep(20);
    expect(loader.calls).toBe(2);
    expect(cache.stats().refreshes).toBe(1);
    expect(await cache.get("k", loader)).toEqual({ amountMinor: 200 });
  });
});
