import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../../env";

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

/** One Analytics Engine data point (route, status, cache, role, latency) and one JSON log line per request. */
export function requestLog(options: RequestLogOptions = {}): MiddlewareHandler<AppEnv> {
  const log = options.log ?? ((line: string) => console.log(line));
  return async function requestLogMiddleware(c, next) {
    const startedAt = Date.now();
    await next();
    const record = describe(c, startedAt);
    c.env.REQUESTS?.writeDataPoint({
      indexes: [record.route],
      blobs: [record.route, record.method, record.cache, record.role, record.colo, record.requestId],
      doubles: [record.status, record.latencyMs],
    });
    log(JSON.stringify({ level: record.status >= 500 ? "error" : "info", msg: "request", ...record }));
  };
}
