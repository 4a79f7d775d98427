import { createLocalJWKSet, type JSONWebKeySet } from "jose";
import { callCore } from "../../core/call";

export const JWKS_KV_KEY = "jwks:auth:v1";
export const JWKS_PATH = "/v1/auth/.well-known/jwks.json";
/**
 * How long a fetched key set is trusted: well inside auth's SIGNING_KEY_GRACE_SECONDS (3600), so a key auth
 * stopped publishing stops verifying soon after its grace ends. Auth also purges the copy on every rotation
 * (`POST /internal/jwks/purge`), so a rotation after a key leak takes effect at once.
 */
export const JWKS_KV_TTL_SECONDS = 300;

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

// Importing keys costs CPU, so the resolver is reused for as long as the KV text is unchanged.
let resolverMemo: { text: string; resolver: KeyResolver } | null = null;

function resolverFor(text: string): KeyResolver {
  if (resolverMemo?.text !== text) {
    resolverMemo = { text, resolver: createLocalJWKSet(JSON.parse(text) as JSONWebKeySet) };
  }
  return resolverMemo.resolver;
}

export interface JwksSource {
  env: Env;
  requestId: string;
  traceparent: string;
}

/** Forgets the stored key set: the next verification fetches auth's current JWKS. */
export async function purgeKeys(env: Env): Promise<void> {
  resolverMemo = null;
  await env.JWKS.delete(JWKS_KV_KEY);
}

/** The key set kept in KV, or null when none was stored yet. */
export async function storedKeys(env: Env): Promise<KeyResolver | null> {
  const text = await env.JWKS.get(JWKS_KV_KEY);
  return text ? resolverFor(text) : null;
}

/** Fetches auth's JWKS (signed, like every call to core), stores it in KV and returns its resolver. */
export async function refetchKeys(source: JwksSource): Promise<KeyResolver> {
  const response = await callCore(source.env, {
    service: "auth",
    method: "GET",
    path: JWKS_PATH,
    requestId: source.requestId,
    traceparent: source.traceparent,
  });
  if (!response.ok) throw new Error(`JWKS fetch answered ${response.status}`);
  const jwks = (await response.json()) as JSONWebKeySet;
  if (!Array.isArray(jwks.keys)) throw new Error("JWKS without keys");
  const text = JSON.stringify(jwks);
  await source.env.JWKS.put(JWKS_KV_KEY, text, { expirationTtl: JWKS_KV_TTL_SECONDS });
  return resolverFor(text);
}
