import type { EdgeTraffic } from "@qc/contracts";
import { AnalyticsEngineSource } from "./analytics-engine";
import { isAcceptedCheckout } from "./data-points";
import { LocalSource } from "./local";

/** Requests of one kind over the window (`SUM(_sample_interval)` in Analytics Engine terms). */
export interface RequestCount {
  route: string;
  method: string;
  status: number;
  cache: string;
  count: number;
}

/** The two queries every source answers over the request data points of the last `windowSeconds`. */
export interface RequestFigures {
  /** GROUP BY route, method, status, cache. */
  counts: RequestCount[];
  /** p50 and p99 of the latency of accepted checkouts (null when there were none). */
  checkoutLatencyMs: { p50: number | null; p99: number | null };
}

/**
 * Where the dashboard reads the edge's request data points: the Analytics Engine SQL API in staging and
 * production, a copy the edge keeps in the local Redis under `wrangler dev` (whose Analytics Engine binding
 * stores nothing that can be queried back). `OPS_SOURCE` picks one.
 */
export interface OpsSource {
  readonly name: EdgeTrafficSourceName;
  requestFigures(windowSeconds: number): Promise<RequestFigures>;
}

export type EdgeTrafficSourceName = "analytics-engine" | "local";

/** The source `OPS_SOURCE` names; `host` keeps one local edge's points apart from another's sharing Redis. */
export function opsSource(env: Env, host: string): OpsSource {
  if (env.OPS_SOURCE !== "analytics-engine") return new LocalSource(env, host);
  if (!env.CLOUDFLARE_ACCOUNT_ID || !env.CLOUDFLARE_API_TOKEN) {
    throw new Error("OPS_SOURCE=analytics-engine needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN");
  }
  return new AnalyticsEngineSource({
    accountId: env.CLOUDFLARE_ACCOUNT_ID,
    apiToken: env.CLOUDFLARE_API_TOKEN,
    dataset: env.REQUESTS_DATASET,
  });
}

const CACHED = new Set(["HIT", "STALE"]);

/** The dashboard's edge figures from what a source answered, the same for both sources. */
export function edgeTraffic(figures: RequestFigures, windowSeconds: number): EdgeTraffic {
  let requests = 0;
  let orders = 0;
  let cacheHits = 0;
  let cacheLookups = 0;
  const rateLimited = new Map<string, number>();
  for (const { route, method, status, cache, count } of figures.counts) {
    requests += count;
    if (isAcceptedCheckout(route, method, status)) orders += count;
    if (cache !== "BYPASS") {
      cacheLookups += count;
      if (CACHED.has(cache)) cacheHits += count;
    }
    if (status === 429) rateLimited.set(route, (rateLimited.get(route) ?? 0) + count);
  }
  return {
    requests,
    ordersPerSecond: orders / windowSeconds,
    checkoutLatencyMs: figures.checkoutLatencyMs,
    cacheHitRatio: cacheLookups === 0 ? null : cacheHits / cacheLookups,
    rateLimited: [...rateLimited]
      .map(([route, count]) => ({ route, count }))
      .sort((a, b) => b.count - a.count),
  };
}
