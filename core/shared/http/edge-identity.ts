import {
  CLIENT_IP_HEADER,
  EDGE_NONCE_HEADER,
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  Id,
  Role,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
  USER_STORES_HEADER,
} from "@qc/contracts";
import type { RedisClient } from "bun";
import { Elysia } from "elysia";
import { verifyRequest } from "../auth/signing";
import type { Config } from "../config";
import { AppError, forbidden, unauthorized } from "./errors";

export interface Identity {
  userId: string;
  roles: Role[];
  /** The stores a store_staff member or rider belongs to. */
  storeIds: string[];
}

export interface EdgeIdentityOptions {
  secret: string;
  maxSkewMs: number;
}

/** Remembers a nonce for `ttlMs`; false when it was already seen (a replay). */
export type NonceStore = (nonce: string, ttlMs: number) => Promise<boolean>;

// The raw body is signed, so it is kept beside the request while Elysia parses it.
const rawBodies = new WeakMap<Request, string>();

// One replay cache per configuration; startService registers the service's Redis for its config.
const nonceStores = new WeakMap<EdgeIdentityOptions | Config, NonceStore>();

/** Core's replay cache: `SET NX` of each nonce of a state-changing request for twice the signature window. */
export function useReplayCache(config: Config, redis: RedisClient): void {
  nonceStores.set(config, async (nonce, ttlMs) => {
    const stored = await redis.send("SET", [`edge:nonce:${nonce}`, "1", "PX", String(ttlMs), "NX"]);
    return stored !== null;
  });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The raw body a request arrived with (signed requests keep it while Elysia parses). */
export const rawBodyOf = (request: Request): string => rawBodies.get(request) ?? "";

const parseRoles = (header: string | null): Role[] =>
  (header ?? "")
    .split(",")
    .filter(Boolean)
    .map((role) => Role.parse(role));
const parseStores = (header: string | null): string[] =>
  (header ?? "")
    .split(",")
    .filter(Boolean)
    .map((id) => Id.parse(id));

/**
 * Core is reached only through the edge: every `/v1` request must carry a fresh, valid HMAC signature
 * over method, path, timestamp, nonce, body digest, identity (user, roles, stores), client address and
 * `Idempotency-Key`. The identity headers are trusted only then; a state-changing request whose nonce was
 * already seen inside the window is a replay (401).
 */
export const edgeIdentity = (options: EdgeIdentityOptions, nonces?: () => NonceStore | undefined) =>
  new Elysia({ name: "edge-identity", seed: options })
    .onParse({ as: "global" }, async ({ request, contentType }) => {
      const text = await request.text();
      rawBodies.set(request, text);
      if (text === "") return undefined;
      if (contentType.startsWith("application/json")) {
        try {
          return JSON.parse(text);
        } catch {
          throw new AppError(400, "malformed", "The body is not valid JSON");
        }
      }
      return text;
    })
    .derive({ as: "global" }, async ({ request, path }): Promise<{ identity: Identity | null }> => {
      if (!path.startsWith("/v1/")) return { identity: null };
      const url = new URL(request.url);
      const userId = request.headers.get(USER_ID_HEADER);
      const roles = request.headers.get(USER_ROLES_HEADER);
      const stores = request.headers.get(USER_STORES_HEADER);
      const nonce = request.headers.get(EDGE_NONCE_HEADER);
      const verdict = await verifyRequest({
        secret: options.secret,
        method: request.method,
        path: url.pathname + url.search,
        timestamp: request.headers.get(EDGE_TIMESTAMP_HEADER),
        signature: request.headers.get(EDGE_SIGNATURE_HEADER),
        body: rawBodies.get(request) ?? "",
        userId,
        roles: roles ? roles.split(",") : [],
        nonce,
        idempotencyKey: request.headers.get(IDEMPOTENCY_KEY_HEADER),
        storeIds: stores ? stores.split(",") : [],
        clientIp: request.headers.get(CLIENT_IP_HEADER),
        now: Date.now(),
        maxSkewMs: options.maxSkewMs,
      });
      if (!verdict.ok) throw unauthorized(`edge signature ${verdict.reason.replace("_", " ")}`);
      if (!nonce || !/^[\w-]{16,64}$/.test(nonce)) throw unauthorized("edge signature without nonce");
      const remember = nonces?.();
      if (remember && !SAFE_METHODS.has(request.method)) {
        let fresh: boolean;
        try {
          fresh = await remember(nonce, options.maxSkewMs * 2);
        } catch {
          throw new AppError(503, "replay_cache_unavailable", "Try again shortly");
        }
        if (!fresh) throw unauthorized("edge signature replayed");
      }
      return {
        identity: userId ? { userId, roles: parseRoles(roles), storeIds: parseStores(stores) } : null,
      };
    });

/** The edge-identity plugin for a service's config; routes `.use()` it to see `identity` in their context. */
export const identityFrom = (config: Config) =>
  edgeIdentity({ secret: config.EDGE_SIGNING_SECRET, maxSkewMs: config.EDGE_SIGNATURE_MAX_SKEW_MS }, () =>
    nonceStores.get(config),
  );

/** The caller's identity, or 401 when the route needs a signed-in user. */
export function requireUser(identity: Identity | null): Identity {
  if (!identity) throw unauthorized();
  return identity;
}

/** The caller's identity when it holds one of the roles; 401 without identity, 403 without the role. */
export function requireRole(identity: Identity | null, ...allowed: Role[]): Identity {
  const user = requireUser(identity);
  if (!user.roles.some((role) => allowed.includes(role)))
    throw forbidden(`requires role ${allowed.join(" or ")}`);
  return user;
}

/**
 * The caller when it may act on `storeId`: an admin anywhere, a holder of `roles` only in the stores its
 * token names (store_staff and riders belong to stores). 403 otherwise.
 */
export function requireStoreRole(identity: Identity | null, storeId: string, ...roles: Role[]): Identity {
  const user = requireRole(identity, "admin", ...roles);
  if (user.roles.includes("admin") || user.storeIds.includes(storeId)) return user;
  throw forbidden("not a member of this store");
}
