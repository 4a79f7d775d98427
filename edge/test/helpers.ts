import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { importJWK, type JWK, SignJWT } from "jose";
import { inject } from "vitest";
import { app } from "../src/app";
import type { ReceivedRequest } from "./core-double";
import { CORE_DOUBLE_URL } from "./ports";

export { env };

/** Sends a request through the whole edge app inside workerd and waits for its `waitUntil` work. */
export async function edge(
  path: string,
  init: RequestInit = {},
  overrides: Partial<Env> = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`http://edge.test${path}`, init),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

export interface TokenOptions {
  sub?: string;
  roles?: string[];
  /** The stores a store_staff member or rider belongs to (the token's `storeIds`). */
  storeIds?: string[];
  key?: "current" | "rotated" | "rogue";
  expiresIn?: string | number;
  issuer?: string;
}

/** An ES256 access token shaped like auth's, signed with one of the test keys. */
export async function accessToken(options: TokenOptions = {}): Promise<string> {
  const jwk = inject("signingKeys")[options.key ?? "current"];
  const key = await importJWK(jwk as JWK, "ES256");
  return new SignJWT({
    roles: options.roles ?? ["shopper"],
    ...(options.storeIds ? { storeIds: options.storeIds } : {}),
  })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid })
    .setSubject(options.sub ?? crypto.randomUUID())
    .setIssuer(options.issuer ?? "quickcommerce-auth")
    .setAudience("quickcommerce")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "5m")
    .sign(key);
}

/** Headers of a signed-in caller from a fresh IP, so rate-limit windows never leak between tests. */
export async function as(options: TokenOptions = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await accessToken(options)}`, "cf-connecting-ip": freshIp() };
}

export function freshIp(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`;
}

/** What the core double received for one request id (empty when the edge never called core). */
export async function receivedByCore(requestId: string): Promise<ReceivedRequest[]> {
  const response = await fetch(`${CORE_DOUBLE_URL}/__received/${encodeURIComponent(requestId)}`);
  return response.json();
}

export function requestId(): string {
  return `test-${crypto.randomUUID()}`;
}

/** A checkout through the edge that the core double accepts at once (`Prefer: wait=0`), by `headers`' caller. */
export function checkout(headers: Record<string, string>, overrides: Partial<Env> = {}): Promise<Response> {
  return edge(
    "/v1/orders",
    {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "idempotency-key": `checkout-${crypto.randomUUID()}`,
        prefer: "wait=0",
      },
      body: JSON.stringify({
        storeId: crypto.randomUUID(),
        address: { line1: "1 Test Street", lat: 52.5, lng: 13.4 },
        payment: { token: "tok_visa" },
      }),
    },
    overrides,
  );
}

/**
 * The Worker's KV binding as Cloudflare limits it (outside this machine): a second write to one key within a
 * second is refused with 429.
 */
export function oneWritePerSecond(kv: KVNamespace): KVNamespace {
  const written = new Map<string, number>();
  return new Proxy(kv, {
    get(target, property) {
      if (property !== "put") return Reflect.get(target, property).bind(target);
      return async (key: string, ...rest: unknown[]) => {
        if (Date.now() - (written.get(key) ?? 0) < 1_000)
          throw new Error("KV PUT failed: 429 Too Many Requests");
        written.set(key, Date.now());
        return (target.put as (...args: unknown[]) => Promise<void>)(key, ...rest);
      };
    },
  });
}
