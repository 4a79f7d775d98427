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

/**
 * Keeps a copy of a request data point in the local Redis (through the Upstash REST server `npm run dev`
 * starts), for `OPS_SOURCE=local`: under `wrangler dev` the Analytics Engine binding accepts points but
 * nothing can query them back. Points older than LOCAL_RETENTION_SECONDS are dropped on each write.
 */
export async function keepLocally(
  env: Env,
  host: string,
  point: AnalyticsEngineDataPoint,
  at = Date.now(),
): Promise<void> {
  const key = keyOf(host);
  const stored: StoredPoint = StoredPoint.parse({ at, blobs: point.blobs, doubles: point.doubles });
  await redisOf(env)
    .pipeline()
    .zadd(key, { score: at, member: stored })
    .zremrangebyscore(key, 0, at - LOCAL_RETENTION_SECONDS * 1_000)
    .expire(key, LOCAL_RETENTION_SECONDS)
    .exec();
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
