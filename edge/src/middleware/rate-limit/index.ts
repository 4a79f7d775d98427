import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../../env";
import { problem } from "../../errors";

/**
 * What a limiter does when Redis cannot answer (unreachable, error, or slower than `timeoutMs`):
 * - `open` (default): let the request through and log it. Reads and ordinary commands stay available
 *   during a Redis outage; JWT auth, body limits and core's own breakers still bound the damage.
 * - `closed`: answer 503. Used for login and register only: the limiter is the one defence against
 *   password guessing there, and failing open would hand out unlimited guesses exactly when nobody is
 *   watching. The cost is small because signed-in shoppers do not need Redis (tokens verify at the edge).
 * Checkout stays `open`: it is authenticated and idempotent, and refusing orders loses more than a
 * short window of unthrottled checkouts from known accounts risks.
 */
export type WhenRedisDown = "open" | "closed";

export interface RateLimitOptions {
  /** Names the window in Redis keys and logs (`login`, `checkout`, `ip`). */
  name: string;
  /** Requests per window; a function reads it from the environment (`RATE_LIMIT_IP_PER_MINUTE`). */
  limit: number | ((env: Env) => number);
  windowSeconds: number;
  /** Who a window belongs to: the signed-in user (falling back to the IP), or always the IP. */
  by?: "user" | "ip";
  whenRedisDown?: WhenRedisDown;
  timeoutMs?: number;
  /** Redis key prefix; default the `RATE_LIMIT_PREFIX` var, else `qc:ratelimit` (a test or bench run sets its own). */
  prefix?: string;
}

// Limiters live in module scope so their ephemeral cache of blocked ids survives between requests. They share
// one Redis client per server: its automatic pipelining sends the windows a request is decided on together
// as one request to Redis instead of one each.
const limiters = new Map<string, Ratelimit>();
const DEFAULT_PREFIX = "qc:ratelimit";
const clients = new Map<string, Redis>();

function redisFor(env: Env): Redis {
  const key = `${env.UPSTASH_REDIS_REST_URL}|${env.UPSTASH_REDIS_REST_TOKEN}`;
  let redis = clients.get(key);
  if (!redis) {
    redis = new Redis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
      retry: { retries: 0 },
      enableTelemetry: false,
      enableAutoPipelining: true,
    });
    clients.set(key, redis);
  }
  return redis;
}

function limiterFor(env: Env, options: Required<RateLimitOptions>): Ratelimit {
  const limit = typeof options.limit === "function" ? options.limit(env) : options.limit;
  const prefix = options.prefix || env.RATE_LIMIT_PREFIX || DEFAULT_PREFIX;
  const key = [env.UPSTASH_REDIS_REST_URL, prefix, options.name, limit, options.windowSeconds].join("|");
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new Ratelimit({
      redis: redisFor(env),
      limiter: Ratelimit.slidingWindow(limit, `${options.windowSeconds} s`),
      prefix: `${prefix}:${options.name}`,
      timeout: options.timeoutMs,
      analytics: false,
    });
    limiters.set(key, limiter);
  }
  return limiter;
}

/**
 * The client's address: `CF-Connecting-IP`, which Cloudflare sets on every request (overwriting a client's
 * own) and which wrangler dev sets locally from the socket. `X-Real-IP` and `X-Forwarded-For` are whatever
 * the client wrote and never count: trusting them let anyone pick a fresh rate-limit window per request.
 */
export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

function identifier(c: Context<AppEnv>, by: "user" | "ip"): string {
  const user = c.get("user");
  return by === "user" && user ? `user:${user.id}` : `ip:${clientIp(c)}`;
}

function redisDown(c: Context<AppEnv>, options: Required<RateLimitOptions>, cause: unknown): void {
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "rate limiter unavailable",
      limiter: options.name,
      decision: options.whenRedisDown === "open" ? "allowed" : "refused",
      requestId: c.get("requestId"),
      cause: String(cause),
    }),
  );
  if (options.whenRedisDown === "closed") {
    throw problem(503, "rate-limiter-unavailable", "Try again shortly", { "retry-after": "5" });
  }
}

/** A window this request counts against: which limit, and whose (`ip:…`, `user:…`). */
export interface RateLimitWindow {
  options: Required<RateLimitOptions>;
  id: string;
}

/**
 * Counts the request against every window at once (one round trip, see `redisFor`) and applies the answers
 * in order: Redis down is handled per window (see WhenRedisDown), the first window over its limit answers
 * 429. Returns the RateLimit headers of the last, most specific window.
 */
async function enforce(c: Context<AppEnv>, windows: RateLimitWindow[]): Promise<Record<string, string>> {
  const answers = await Promise.all(
    windows.map(({ options, id }) =>
      limiterFor(c.env, options)
        .limit(id)
        .then(
          (result) => ({ result, error: undefined }),
          (error: unknown) => ({ result: undefined, error }),
        ),
    ),
  );
  let headers: Record<string, string> = {};
  let refused: { options: Required<RateLimitOptions>; headers: Record<string, string> } | undefined;
  for (const [i, { result, error }] of answers.entries()) {
    const { options } = windows[i] as RateLimitWindow;
    // The library lets a request pass when Redis is slower than `timeout`; that is Redis being down too.
    if (!result || result.reason === "timeout") {
      redisDown(c, options, error ?? "timeout");
      continue;
    }
    const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
    headers = {
      "ratelimit-limit": String(result.limit),
      "ratelimit-remaining": String(Math.max(0, result.remaining)),
      "ratelimit-reset": String(resetSeconds),
      "ratelimit-policy": `${result.limit};w=${options.windowSeconds}`,
    };
    if (!result.success && !refused)
      refused = { options, headers: { ...headers, "retry-after": String(Math.max(1, resetSeconds)) } };
  }
  if (refused) {
    const { options } = refused;
    throw problem(
      429,
      "rate-limited",
      `Limit of ${refused.headers["ratelimit-limit"]} per ${options.windowSeconds}s reached`,
      refused.headers,
    );
  }
  return headers;
}

// Every rateLimit middleware, so one can tell whether another comes after it on the request's route.
const limiterMiddlewares = new WeakSet<MiddlewareHandler<AppEnv>>();

/** Whether a rate limiter the request will meet later on its route can count this window with its own. */
function laterLimiterOnRoute(c: Context<AppEnv>, self: MiddlewareHandler<AppEnv>): boolean {
  const handlers = matchedRoutes(c).map((route) => route.handler);
  const at = handlers.indexOf(self);
  return at !== -1 && handlers.slice(at + 1).some((handler) => limiterMiddlewares.has(handler));
}

/**
 * Marks a middleware that runs a rate limiter itself on every branch (or `enforcePendingLimits` where it has
 * none), so limiters before it on the route leave their windows to it.
 */
export function decidesRateLimits<M extends MiddlewareHandler<AppEnv>>(middleware: M): M {
  limiterMiddlewares.add(middleware);
  return middleware;
}

/**
 * Decides the windows still waiting for a later limiter, for a route that leaves that limiter out on one of
 * its branches (a guest's cart has no user window): call it before that branch does anything.
 */
export async function enforcePendingLimits(c: Context<AppEnv>): Promise<void> {
  const pending = c.get("rateLimitWindows") ?? [];
  c.set("rateLimitWindows", []);
  if (pending.length > 0) await enforce(c, pending);
}

/**
 * Sliding-window rate limit over Upstash Redis. Sets `RateLimit-Limit/Remaining/Reset` and
 * `RateLimit-Policy`; over the limit it is 429 problem+json with `Retry-After`.
 *
 * Limiters nest (per IP on every /v1 request, per user, per route). A limiter followed by another on the
 * request's route leaves its window to that one, and the last decides them all in one round trip to Redis,
 * before the route's handler runs. If the request ends before reaching it (a 401 from auth, a 403, a bad
 * body), the windows left waiting are counted as it unwinds, and one over its limit turns that answer into
 * the 429 it would have been. "Later on the route" is read from the handlers Hono matched, so two routes
 * that overlap (one answering before the other's limiter) would be counted only on the way out: the route
 * table is meant to have none, and the tests pin the chains that matter (checkout, the cart, auth failures).
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const resolved: Required<RateLimitOptions> = {
    by: "user",
    whenRedisDown: "open",
    timeoutMs: 500,
    prefix: "",
    ...options,
  };
  const middleware: MiddlewareHandler<AppEnv> = async function rateLimitMiddleware(c, next) {
    const windows = [
      ...(c.get("rateLimitWindows") ?? []),
      { options: resolved, id: identifier(c, resolved.by) },
    ];
    if (laterLimiterOnRoute(c, middleware)) {
      c.set("rateLimitWindows", windows);
      await next();
      if (c.get("rateLimitWindows") === windows) await enforcePendingLimits(c);
      return;
    }
    c.set("rateLimitWindows", []);
    const headers = await enforce(c, windows);
    await next();
    for (const [name, value] of Object.entries(headers)) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  };
  limiterMiddlewares.add(middleware);
  return middleware;
}
