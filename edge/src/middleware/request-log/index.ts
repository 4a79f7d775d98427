import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../../env";
import { requestDataPoint } from "../../ops/data-points";
import { keepLocally } from "../../ops/local";

export interface RequestRecord {
  route: string;
  method: string;
  status: number;
  cache: string;
  role: string;
  latencyMs: number;
  requestId: string;
  traceparent: string;
  colo: string;
}

export interface RequestLogOptions {
  /** Where the JSON log line goes; `console.log` reaches Workers Logs and `wrangler dev`. */
  log?: (line: string) => void;
}

function describe(c: Context<AppEnv>, startedAt: number): RequestRecord {
  const user = c.get("user");
  return {
    // The matched template keeps cardinality low (`/v1/catalog/products/:sku`, not each sku).
    route: routePath(c, -1),
    method: c.req.method,
    status: c.res.status,
    cache: c.get("cacheStatus") ?? "BYPASS",
    role: user ? (user.roles.includes("admin") ? "admin" : (user.roles[0] ?? "none")) : "anonymous",
    // Workers freeze the clock while code runs, so this is time spent waiting on I/O, which is what we want.
    latencyMs: Date.now() - startedAt,
    requestId: c.get("requestId"),
    traceparent: c.get("traceparent"),
    colo: (c.req.raw.cf?.colo as string | undefined) ?? "local",
  };
}

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

/**
 * Whether `REQUEST_LOG_LEVEL` lets a request line of this level through: "info" (the default, also for an
 * unknown value) every request's, "warn" or "error" only a failed one's. Each line is a log event to pay for
 * in Workers Logs, and under `wrangler dev` one more message to wrangler's Node process (2 ms of its CPU per
 * checkout in the edge bench).
 */
function writes(env: Env, level: Level): boolean {
  const least = Math.max(LEVELS.indexOf(env.REQUEST_LOG_LEVEL as Level), LEVELS.indexOf("info"));
  return LEVELS.indexOf(level) >= least;
}

/**
 * One Analytics Engine data point (route, status, cache, role, latency; columns in edge/src/ops/data-points.ts)
 * and one JSON log line per request, as `REQUEST_LOG_LEVEL` allows. With `OPS_SOURCE=local` the point is also
 * kept in the local Redis.
 */
export function requestLog(options: RequestLogOptions = {}): MiddlewareHandler<AppEnv> {
  const log = options.log ?? ((line: string) => console.log(line));
  return async function requestLogMiddleware(c, next) {
    const startedAt = Date.now();
    await next();
    const record = describe(c, startedAt);
    const point = requestDataPoint(record);
    c.env.REQUESTS?.writeDataPoint(point);
    // Under wrangler dev the dashboard reads a local copy instead (see edge/src/ops/local.ts).
    if (c.env.OPS_SOURCE === "local") {
      c.executionCtx.waitUntil(
        keepLocally(c.env, new URL(c.req.url).host, point).catch((error: unknown) =>
          log(JSON.stringify({ level: "warn", msg: "data point not kept locally", error: String(error) })),
        ),
      );
    }
    const level = record.status >= 500 ? "error" : "info";
    if (writes(c.env, level)) log(JSON.stringify({ level, msg: "request", ...record }));
  };
}
