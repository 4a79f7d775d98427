import type { PurgeScope } from "@qc/contracts";
import type { Context, MiddlewareHandler } from "hono";
import { scopeName, versionKey } from "../../cache/scopes";
import type { AppEnv } from "../../env";

export interface ReadCacheOptions {
  /** Names the kind of read in the key (`catalog`, `serviceability`, `cart`). */
  name: string;
  /** The scopes whose versions are part of the key; purging any of them retires the entry. */
  scopes: (c: Context<AppEnv>) => PurgeScope[];
  /** The origin read on a miss and on revalidation. */
  fill: (c: Context<AppEnv>) => Promise<Response>;
  freshSeconds?: number;
  /** How long past fresh an entry is still served while it is refreshed in the background. */
  staleSeconds?: number;
  /** Rewrites the query for the key, e.g. to round coordinates so neighbours share an entry. */
  normalizeQuery?: (query: URLSearchParams) => URLSearchParams;
  /** Answers worth caching; 404 is included so "not serviceable here" is cached too. */
  cacheableStatuses?: readonly number[];
}

interface EntryMeta {
  status: number;
  contentType: string;
  storedAt: number;
}

// Keys this isolate is revalidating (and since when), so a burst of stale reads triggers one origin call.
// A refill cut short never clears its mark, so marks older than a refill could take are ignored.
const revalidating = new Map<string, number>();
const REVALIDATION_MARK_MS = 30_000;

function claimRevalidation(key: string): boolean {
  const startedAt = revalidating.get(key);
  if (startedAt !== undefined && Date.now() - startedAt < REVALIDATION_MARK_MS) return false;
  revalidating.set(key, Date.now());
  return true;
}

async function cacheKey(c: Context<AppEnv>, options: ReadCacheOptions): Promise<string> {
  const scopes = options.scopes(c);
  // One bulk read for every version the key depends on.
  const versions = await c.env.CACHE.get(scopes.map(versionKey), "text");
  const scopePart = scopes
    .map((scope) => `${scopeName(scope)}@${versions.get(versionKey(scope)) ?? "0"}`)
    .join(",");
  const url = new URL(c.req.url);
  const query = options.normalizeQuery?.(url.searchParams) ?? url.searchParams;
  query.sort();
  return `cache:v1:${options.name}:${scopePart}:${url.pathname}?${query}`;
}

function cachedResponse(body: string, meta: EntryMeta, status: "HIT" | "MISS" | "STALE"): Response {
  return new Response(body, {
    status: meta.status,
    headers: {
      "content-type": meta.contentType,
      "x-cache": status,
      age: String(Math.max(0, Math.floor((Date.now() - meta.storedAt) / 1000))),
    },
  });
}

/**
 * KV read cache with stale-while-revalidate and versioned keys. Fresh entries are `X-Cache: HIT`; past
 * fresh but within the stale window they are served as `STALE` while `ctx.waitUntil` refills them; a
 * miss reads the origin through `fill` (`MISS`). Uncacheable answers pass through untouched.
 */
export function readCache(options: ReadCacheOptions): MiddlewareHandler<AppEnv> {
  const freshMs = (options.freshSeconds ?? 30) * 1000;
  const staleSeconds = options.staleSeconds ?? 300;
  // KV refuses expirations under 60 s.
  const ttlSeconds = Math.max(60, Math.ceil(freshMs / 1000) + staleSeconds);
  const cacheable = options.cacheableStatuses ?? [200, 404];

  async function fillAndStore(c: Context<AppEnv>, key: string): Promise<Response> {
    const origin = await options.fill(c);
    if (!cacheable.includes(origin.status)) return origin;
    const body = await origin.text();
    const meta: EntryMeta = {
      status: origin.status,
      contentType: origin.headers.get("content-type") ?? "application/json",
      storedAt: Date.now(),
    };
    await c.env.CACHE.put(key, body, { expirationTtl: ttlSeconds, metadata: meta });
    return cachedResponse(body, meta, "MISS");
  }

  return async function readCacheMiddleware(c) {
    const key = await cacheKey(c, options);
    const entry = await c.env.CACHE.getWithMetadata<EntryMeta>(key, "text");
    if (entry.value === null || !entry.metadata) {
      c.set("cacheStatus", "MISS");
      return fillAndStore(c, key);
    }
    if (Date.now() - entry.metadata.storedAt < freshMs) {
      c.set("cacheStatus", "HIT");
      return cachedResponse(entry.value, entry.metadata, "HIT");
    }
    c.set("cacheStatus", "STALE");
    if (claimRevalidation(key)) {
      c.executionCtx.waitUntil(
        fillAndStore(c, key)
          .catch((error) =>
            console.warn(
              JSON.stringify({ level: "warn", msg: "revalidation failed", key, error: String(error) }),
            ),
          )
          .finally(() => revalidating.delete(key)),
      );
    }
    return cachedResponse(entry.value, entry.metadata, "STALE");
  };
}
