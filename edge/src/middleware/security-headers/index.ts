import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";

export interface SecurityHeadersOptions {
  /** `Strict-Transport-Security` max-age in seconds (two years by default, what preload lists ask for). */
  hstsMaxAgeSeconds?: number;
  /** Paths whose answers carry credentials and must never be stored by a browser or a proxy. */
  noStorePaths?: readonly string[];
}

/** Answers that hand out tokens: sign-in, refresh, registration, guest identities. */
export const TOKEN_PATHS = [
  "/v1/auth/login",
  "/v1/auth/refresh",
  "/v1/auth/register",
  "/v1/auth/logout",
  "/v1/cart/guest",
] as const;

/**
 * Hardening headers on every answer: `X-Content-Type-Options: nosniff` (a JSON or problem body is never
 * sniffed into HTML or script), `Strict-Transport-Security` (browsers stop trying plain HTTP),
 * `Referrer-Policy: no-referrer`, and `Cache-Control: no-store` on answers that carry tokens.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): MiddlewareHandler<AppEnv> {
  const hsts = `max-age=${options.hstsMaxAgeSeconds ?? 63_072_000}; includeSubDomains`;
  const noStore = new Set(options.noStorePaths ?? TOKEN_PATHS);
  return async function securityHeadersMiddleware(c, next) {
    await next();
    const headers = c.res.headers;
    headers.set("x-content-type-options", "nosniff");
    headers.set("strict-transport-security", hsts);
    headers.set("referrer-policy", "no-referrer");
    if (noStore.has(c.req.path)) headers.set("cache-control", "no-store");
  };
}
