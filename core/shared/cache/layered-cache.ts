import type { RedisClient } from "bun";
import { LRUCache } from "lru-cache";
import { metrics } from "../telemetry/metrics";

export interface LayeredCacheOptions {
  /** Names the cache in Redis keys and stats, e.g. `pricing:price`. */
  name: string;
  redis: RedisClient;
  /** How long Redis keeps a value (the shared level). */
  redisTtlMs: number;
  /** How long this process keeps a value; short, since other instances may change it. */
  localTtlMs: number;
  localMax?: number;
  /** A local hit with less than this fraction of its TTL left reloads in the background (refresh-ahead). */
  refreshAheadRatio?: number;
}

export interface CacheStats {
  local: { hits: number; misses: number };
  redis: { hits: number; misses: number };
  loads: number;
  refreshes: number;
  invalidations: number;
}

export type Loader<V> = () => Promise<V | null>;

// Redis cannot store "nothing", and a missing price is worth caching too (it is asked for by every quote).
const ABSENT = { absent: true } as const;
type Stored<V> = V | typeof ABSENT;
const isAbsent = (value: unknown): value is typeof ABSENT =>
  typeof value === "object" && value !== null && (value as { absent?: unknown }).absent === true;

/**
 * A read-through cache in three levels: this process's LRU, then Redis (shared by every instance), then the
 * loader (Postgres). `get` is cache-aside with single-flight loads; `set` is write-through to both levels;
 * a local hit near its expiry is refreshed in the background so hot keys never miss (refresh-ahead);
 * `invalidateLocal` drops one process's copy when another instance announces a change.
 */
export function createLayeredCache<V extends object>(options: LayeredCacheOptions) {
  const local = new LRUCache<string, Stored<V>>({
    max: options.localMax ?? 10_000,
    ttl: options.localTtlMs,
    updateAgeOnGet: false,
  });
  const refreshBelowMs = options.localTtlMs * (options.refreshAheadRatio ?? 0.2);
  const inFlight = new Map<string, Promise<Stored<V>>>();
  const counters: CacheStats = {
    local: { hits: 0, misses: 0 },
    redis: { hits: 0, misses: 0 },
    loads: 0,
    refreshes: 0,
    invalidations: 0,
  };
  const redisKey = (key: string) => `cache:${options.name}:${key}`;

  const store = async (key: string, value: Stored<V>) => {
    await options.redis.set(redisKey(key), JSON.stringify(value), "PX", options.redisTtlMs);
    local.set(key, value);
  };

  const loadAndStore = (key: string, loader: Loader<V>): Promise<Stored<V>> => {
    const pending = inFlight.get(key);
    if (pending) return pending;
    const load = (async () => {
      counters.loads++;
      const value: Stored<V> = (await loader()) ?? ABSENT;
      await store(key, value);
      return value;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, load);
    return load;
  };

  const refreshAhead = (key: string, loader: Loader<V>) => {
    if (inFlight.has(key) || local.getRemainingTTL(key) > refreshBelowMs) return;
    counters.refreshes++;
    // A failed background refresh leaves the current value to expire normally.
    loadAndStore(key, loader).catch(() => {});
  };

  const fromRedis = async (key: string): Promise<Stored<V> | undefined> => {
    const raw = await options.redis.get(redisKey(key));
    if (raw === null) return undefined;
    const value = JSON.parse(raw) as Stored<V>;
    local.set(key, value);
    return value;
  };

  const visible = (value: Stored<V>): V | null => (isAbsent(value) ? null : value);

  return {
    /** The value of `key`: from this process, else Redis, else the loader (which then fills both levels). */
    async get(key: string, loader: Loader<V>): Promise<V | null> {
      const cached = local.get(key);
      metrics.cacheLookup(options.name, "local", cached !== undefined);
      if (cached !== undefined) {
        counters.local.hits++;
        refreshAhead(key, loader);
        return visible(cached);
      }
      counters.local.misses++;
      const shared = await fromRedis(key);
      metrics.cacheLookup(options.name, "redis", shared !== undefined);
      if (shared !== undefined) {
        counters.redis.hits++;
        return visible(shared);
      }
      counters.redis.misses++;
      return visible(await loadAndStore(key, loader));
    },

    /** Write-through: the new value goes to Redis and this process at once. */
    async set(key: string, value: V): Promise<void> {
      await store(key, value);
    },

    /** Drops this process's copy only; the next read takes Redis's (already written-through) value. */
    invalidateLocal(key: string): void {
      if (local.delete(key)) counters.invalidations++;
    },

    /** Drops the key from both levels. */
    async delete(key: string): Promise<void> {
      local.delete(key);
      await options.redis.del(redisKey(key));
    },

    /** Hit and miss counters per level, as plain numbers (`cache_lookups_total` counts the same lookups). */
    stats(): CacheStats {
      return structuredClone(counters);
    },
  };
}

export type LayeredCache<V extends object> = ReturnType<typeof createLayeredCache<V>>;
