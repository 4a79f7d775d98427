import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { Context, MiddlewareHandler } from "hono";
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
  prefix?: string;
}

// Limiters live in module scope so their ephemeral cache of blocked ids survives between requests.
const limiters = new Map<string, Ratelimit>();

function limiterFor(env: Env, options: Required<RateLimitOptions>): Ratelimit {
  const limit = typeof options.limit === "function" ? options.limit(env) : options.limit;
  const key = [env.UPSTASH_REDIS_REST_URL, options.prefix, options.name, limit, options.windowSeconds].join(
    "|",
  );
  let limiter = limiters.get(key);
  if (!limiter) {
    const redis = new Redis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
      retry: { retries: 0 },
      enableTelemetry: false,
    });
    limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(limit, `${options.windowSeconds} s`),
      prefix: `${options.prefix}:${options.name}`,
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

/**
 * Sliding-window rate limit over Upstash Redis. Sets `RateLimit-Limit/Remaining/Reset` and
 * `RateLimit-Policy`; over the limit it is 429 problem+json with `Retry-After`.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const resolved: Required<RateLimitOptions> = {
    by: "user",
    whenRedisDown: "open",
    timeoutMs: 500,
    prefix: "qc:ratelimit",
    ...options,
  };
  return async function rateLimitMiddleware(c, next) {
    let result: Awaited<ReturnType<Ratelimit["limit"]>>;
    try {
      result = await limiterFor(c.env, resolved).limit(identifier(c, resolved.by));
    } catch (error) {
      redisDown(c, resolved, error);
      return next();
    }
    // The library lets a request pass when Redis is slower than `timeout`; that is Redis being down too.
    if (result.reason === "timeout") {
      redisDown(c, resolved, "timeout");
      return next();
    }
    const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
    const headers = {
      "ratelimit-limit": String(result.limit),
      "ratelimit-remaining": String(Math.max(0, result.remaining)),
      "ratelimit-reset": String(resetSeconds),
      "ratelimit-policy": `${result.limit};w=${resolved.windowSeconds}`,
    };
    if (!result.success) {
      throw problem(429, "rate-limited", `Limit of ${result.limit} per ${resolved.windowSeconds}s reached`, {
        ...headers,
        "retry-after": String(Math.max(1, resetSeconds)),
      });
    }
    await next();
    // Limiters nest (per IP outside, per route inside); the innermost, most specific one already set its headers.
    for (const [name, value] of Object.entries(headers)) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  };
}
