import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  Role,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
  verifyRequest,
} from "@qc/contracts";
import { Elysia } from "elysia";
import type { Config } from "../config";
import { AppError, forbidden, unauthorized } from "./errors";

export interface Identity {
  userId: string;
  roles: Role[];
}

export interface EdgeIdentityOptions {
  secret: string;
  maxSkewMs: number;
}

// The raw body is signed, so it is kept beside the request while Elysia parses it.
const rawBodies = new WeakMap<Request, string>();

const parseRoles = (header: string | null): Role[] =>
  (header ?? "")
    .split(",")
    .filter(Boolean)
    .map((role) => Role.parse(role));

/**
 * Core is reached only through the edge: every `/v1` request must carry a fresh, valid HMAC signature
 * over method, path, timestamp, body digest and identity. The identity headers are trusted only then.
 */
export const edgeIdentity = (options: EdgeIdentityOptions) =>
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
      const verdict = await verifyRequest({
        secret: options.secret,
        method: request.method,
        path: url.pathname + url.search,
        timestamp: request.headers.get(EDGE_TIMESTAMP_HEADER),
        signature: request.headers.get(EDGE_SIGNATURE_HEADER),
        body: rawBodies.get(request) ?? "",
        userId,
        roles: roles ? roles.split(",") : [],
        now: Date.now(),
        maxSkewMs: options.maxSkewMs,
      });
      if (!verdict.ok) throw unauthorized(`edge signature ${verdict.reason.replace("_", " ")}`);
      return { identity: userId ? { userId, roles: parseRoles(roles) } : null };
    });

/** The edge-identity plugin for a service's config; routes `.use()` it to see `identity` in their context. */
export const identityFrom = (config: Config) =>
  edgeIdentity({ secret: config.EDGE_SIGNING_SECRET, maxSkewMs: config.EDGE_SIGNATURE_MAX_SKEW_MS });

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
