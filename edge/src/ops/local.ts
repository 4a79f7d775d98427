import { Redis } from "@upstash/redis/cloudflare";
import { z } from "zod";
import { isAcceptedCheckout } from "./data-points";
import type { OpsSource, RequestCount, RequestFigures } from "./source";

/** How long the local copy keeps data points: the longest window the dashboard asks for. */
export const LOCAL_RETENTION_SECONDS = 300;

/** A data point as kept locally: the blobs and doubles the request log wrote, and when. */
const StoredPoint = z.object({
  at: z.number(),
  blobs: z.tuple([z.string(), z.string(), z.string()]).rest(z.string()),
  doubles: z.tuple([z.number(), z.number()]),
});
type StoredPoint = z.infer<typeof StoredPoint>;

// One sorted set per edge (its host, e.g. 127.0.0.1:8787), scored by time: edges sharing a Redis stay apart.
const keyOf = (host: string) => `ops:requests:${host}`;

function redisOf(env: Env): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 0 },
    enableTelemetry: false,
  });
}

/** How long points wait in the isolate before they are written together (`OPS_LOCAL_FLUSH_MS`), and how many. */
const flushDelayMs = (env: Env) => Number(env.OPS_LOCAL_FLUSH_MS ?? 1_000);
const LOCAL_FLUSH_POINTS = 200;

// Points not yet written, by edge host. Module scope: they outlive the request that recorded them, and the
// flush that request scheduled (waitUntil) writes everything gathered meanwhile in one pipeline.
const pending = new Map<string, StoredPoint[]>();

async function flush(env: Env, host: string): Promise<void> {
  const points = pending.get(host);
  if (!points?.length) return;
  pending.delete(host);
  const key = keyOf(host);
  const newest = Math.max(...points.map((point) => point.at));
  const [first, ...rest] = points.map((point) => ({ score: point.at, member: point }));
  if (!first) return;
  await redisOf(env)
    .pipeline()
    .zadd(key, first, ...rest)
    .zremrangebyscore(key, 0, newest - LOCAL_RETENTION_SECONDS * 1_000)
    .expire(key, LOCAL_RETENTION_SECONDS)
    .exec();
}

/**
 * Keeps a copy of a request data point in the local Redis (through the Upstash REST server `npm run dev`
 * starts), for `OPS_SOURCE=local`: under `wrangler dev` the Analytics Engine binding accepts points but
 * nothing can query them back. Points are gathered for `OPS_LOCAL_FLUSH_MS` (1 s) and written in one request: one
 * subrequest per request cost `wrangler dev` four devtools events, each a POST to wrangler's Node process.
 * The promise of the first point of a round is that round's write (the caller hands it to `waitUntil`);
 * points older than LOCAL_RETENTION_SECONDS are dropped on each write.
 */
export function keepLocally(
  env: Env,
  host: string,
  point: AnalyticsEngineDataPoint,
  at = Date.now(),
): Promise<void> {
  const stored: StoredPoint = StoredPoint.parse({ at, blobs: point.blobs, doubles: point.doubles });
  const points = pending.get(host);
  if (!points) {
    pending.set(host, [stored]);
    return new Promise((resolve) => setTimeout(resolve, flushDelayMs(env))).then(() => flush(env, host));
  }
  points.push(stored);
  return points.length >= LOCAL_FLUSH_POINTS ? flush(env, host) : Promise.resolve();
}

/** The exact quantile of sorted values, as quantileExactWeighted picks it (the value at ⌊q·n⌋). */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

/** The Analytics Engine queries answered over the local copy (development). */
export class LocalSource implements OpsSource {
  readonly name = "local";

  constructor(
    private readonly env: Env,
    private readonly host: string,
  ) {}

  async requestFigures(windowSeconds: number): Promise<RequestFigures> {
    // What this isolate gathered but has not written yet counts too.
    await flush(this.env, this.host);
    const members = await redisOf(this.env).zrange<unknown[]>(
      keyOf(this.host),
      Date.now() - windowSeconds * 1_000,
      "+inf",
      { byScore: true },
    );
    const counts = new Map<string, RequestCount>();
    const checkoutLatencies: number[] = [];
    for (const { blobs, doubles } of StoredPoint.array().parse(members)) {
      const [route, method, cache] = blobs;
      const [status, latencyMs] = doubles;
      const group = `${route} ${method} ${status} ${cache}`;
      const count = counts.get(group) ?? { route, method, status, cache, count: 0 };
      count.count += 1;
      counts.set(group, count);
      if (isAcceptedCheckout(route, method, status)) checkoutLatencies.push(latencyMs);
    }
    checkoutLatencies.sort((a, b) => a - b);
    return {
      counts: [...counts.values()],
      checkoutLatencyMs: { p50: quantile(checkoutLatencies, 0.5), p99: quantile(checkoutLatencies, 0.99) },
    };
  }
}
