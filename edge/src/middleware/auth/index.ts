import { AccessTokenClaims } from "@qc/contracts";
import type { MiddlewareHandler } from "hono";
import { errors, jwtVerify } from "jose";
import type { AppEnv, User } from "../../env";
import { problem } from "../../errors";
import { type JwksSource, refetchKeys, storedKeys } from "./jwks";

export interface AuthenticateOptions {
  /** Without a token: `required` answers 401, otherwise the request continues anonymous. */
  required?: boolean;
  /** An unknown `kid` refetches the JWKS at most this often per isolate, so random kids cannot flood auth. */
  refetchCooldownMs?: number;
  /** Clock tolerance for `exp`/`nbf`, in seconds. */
  clockToleranceSeconds?: number;
}

let lastRefetchAt = Number.NEGATIVE_INFINITY;

async function verifiedUser(
  token: string,
  source: JwksSource,
  options: Required<AuthenticateOptions>,
): Promise<User> {
  const verifyOptions = {
    issuer: source.env.JWT_ISSUER,
    audience: source.env.JWT_AUDIENCE,
    algorithms: ["ES256"],
    clockTolerance: options.clockToleranceSeconds,
  };
  let keys = (await storedKeys(source.env)) ?? (await refetchKeys(source));
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    verified = await jwtVerify(token, keys, verifyOptions);
  } catch (error) {
    const coolingDown = Date.now() - lastRefetchAt < options.refetchCooldownMs;
    if (!(error instanceof errors.JWKSNoMatchingKey) || coolingDown) throw error;
    // Auth rotated its keys: the new kid is not in KV yet.
    lastRefetchAt = Date.now();
    keys = await refetchKeys(source);
    verified = await jwtVerify(token, keys, verifyOptions);
  }
  const claims = AccessTokenClaims.safeParse(verified.payload);
  if (!claims.success) throw new errors.JWTClaimValidationFailed("unexpected claims", verified.payload);
  return { id: claims.data.sub, roles: claims.data.roles, storeIds: claims.data.storeIds ?? [] };
}

function unauthorizedFor(error: unknown) {
  if (error instanceof errors.JWTExpired) return problem(401, "unauthorized", "The access token has expired");
  if (error instanceof errors.JOSEError) return problem(401, "unauthorized", "The access token is not valid");
  return null;
}

/**
 * Verifies the bearer access token with jose against auth's JWKS (kept in KV, refetched on an unknown
 * `kid`) and sets `c.var.user`. Missing, expired, tampered or unsigned (`alg: none`) tokens are 401.
 */
export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const resolved: Required<AuthenticateOptions> = {
    required: options.required ?? true,
    refetchCooldownMs: options.refetchCooldownMs ?? 30_000,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
  };
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      if (resolved.required)
        throw problem(401, "unauthorized", "Sign in first", { "www-authenticate": "Bearer" });
      return next();
    }
    const token = /^Bearer ([\w-]+\.[\w-]*\.[\w-]*)$/i.exec(header)?.[1];
    if (!token) throw problem(401, "unauthorized", "Expected `Authorization: Bearer <token>`");
    const source = { env: c.env, requestId: c.get("requestId"), traceparent: c.get("traceparent") };
    try {
      c.set("user", await verifiedUser(token, source, resolved));
    } catch (error) {
      throw unauthorizedFor(error) ?? error;
    }
    await next();
  };
}
