/** Headers the edge adds when it forwards a request to core. */
export const EDGE_TIMESTAMP_HEADER = "X-Edge-Timestamp";
export const EDGE_SIGNATURE_HEADER = "X-Edge-Signature";
export const USER_ID_HEADER = "X-User-Id";
export const USER_ROLES_HEADER = "X-User-Roles";
export const REQUEST_ID_HEADER = "X-Request-Id";
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
/** A random value per signed request; core refuses a nonce it has already seen within the window. */
export const EDGE_NONCE_HEADER = "X-Edge-Nonce";
/** The stores a store_staff member or rider belongs to (comma-separated ids), from the access token. */
export const USER_STORES_HEADER = "X-User-Stores";
/** The client's address as the edge established it (auth locks failed sign-ins per email and client). */
export const CLIENT_IP_HEADER = "X-Client-Ip";
/** Service-to-service calls inside core: who calls, when, and the HMAC under the caller→callee key. */
export const SERVICE_NAME_HEADER = "X-Service-Name";
export const SERVICE_TIMESTAMP_HEADER = "X-Service-Timestamp";
export const SERVICE_SIGNATURE_HEADER = "X-Service-Signature";

export const DEFAULT_MAX_SKEW_MS = 30_000;

export type RequestBody = string | Uint8Array | ArrayBuffer | null | undefined;

export type SignInput = {
  secret: string;
  method: string;
  /** Path plus query string, exactly as sent (`/v1/orders?limit=5`). */
  path: string;
  /** Unix epoch milliseconds. */
  timestamp: number;
  body?: RequestBody;
  userId?: string | null;
  roles?: readonly string[] | null;
  /** Unique per request (edge → core); lets the receiver refuse a replay inside the window. */
  nonce?: string | null;
  /** The `Idempotency-Key` forwarded with the request, so it cannot be swapped on a captured request. */
  idempotencyKey?: string | null;
  storeIds?: readonly string[] | null;
  clientIp?: string | null;
};

export type VerifyInput = Omit<SignInput, "timestamp"> & {
  /** Raw header values: absent or malformed ones are reported as `missing`. */
  timestamp: number | string | null | undefined;
  signature: string | null | undefined;
  now: number;
  maxSkewMs?: number;
};

export type VerifyResult = { ok: true } | { ok: false; reason: "missing" | "stale" | "bad_signature" };

const encoder = new TextEncoder();

function toBytes(body: RequestBody): Uint8Array<ArrayBuffer> {
  if (body == null) return new Uint8Array();
  // Copied so the type is Uint8Array<ArrayBuffer> under Workers types too (their encode() returns ArrayBufferLike).
  if (typeof body === "string") return new Uint8Array(encoder.encode(body));
  return new Uint8Array(body);
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The two hashes a signature needs. WebCrypto (below) works everywhere, Workers included; a runtime with a
 * cheaper HMAC may bring its own (core on Bun: node:crypto, ≈ 40× cheaper than Bun's WebCrypto). Both must
 * give the same lowercase hex, so a request signed with one verifies with the other.
 */
export interface SigningCrypto {
  sha256Hex(bytes: Uint8Array<ArrayBuffer>): string | Promise<string>;
  hmacSha256Hex(secret: string, data: Uint8Array<ArrayBuffer>): string | Promise<string>;
}

// Imported keys by secret: a process holds a handful of secrets (its own pairs' keys, the edge's), and
// importing one costs as much as the HMAC itself, on every signed call. Only imported keys are kept, never
// a pending import: workerd must not hand one request's promise to another.
const importedKeys = new Map<string, CryptoKey>();
const MAX_IMPORTED_KEYS = 256;

async function hmacKey(secret: string): Promise<CryptoKey> {
  const known = importedKeys.get(secret);
  if (known) return known;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  // Secrets come from configuration, never from a request; the bound keeps rotated-out secrets from piling up.
  if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.clear();
  importedKeys.set(secret, key);
  return key;
}

/** The standard one: WebCrypto, as Workers and every other runtime have it. */
export const webSigningCrypto: SigningCrypto = {
  sha256Hex: async (bytes) => toHex(await crypto.subtle.digest("SHA-256", bytes)),
  hmacSha256Hex: async (secret, data) => toHex(await crypto.subtle.sign("HMAC", await hmacKey(secret), data)),
};

/** Compares two hex signatures in time that depends on their length only, never on where they differ. */
function sameSignature(expected: string, given: string): boolean {
  if (expected.length !== given.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return difference === 0;
}

/** The exact text that is signed: one field per line, so no field can bleed into another. */
export async function canonicalRequest(
  input: Omit<SignInput, "secret">,
  hashes: SigningCrypto = webSigningCrypto,
): Promise<string> {
  return [
    input.method.toUpperCase(),
    input.path,
    String(input.timestamp),
    await hashes.sha256Hex(toBytes(input.body)),
    input.userId ?? "",
    (input.roles ?? []).join(","),
    input.nonce ?? "",
    input.idempotencyKey ?? "",
    (input.storeIds ?? []).join(","),
    input.clientIp ?? "",
  ].join("\n");
}

/** Signs a request with HMAC-SHA256; returns the lowercase hex signature. */
export async function signRequest(
  input: SignInput,
  hashes: SigningCrypto = webSigningCrypto,
): Promise<string> {
  return hashes.hmacSha256Hex(input.secret, toBytes(await canonicalRequest(input, hashes)));
}

/** Verifies a signed request in constant time and rejects timestamps outside the allowed skew. */
export async function verifyRequest(
  input: VerifyInput,
  hashes: SigningCrypto = webSigningCrypto,
): Promise<VerifyResult> {
  const timestamp = typeof input.timestamp === "string" ? Number(input.timestamp) : input.timestamp;
  if (!input.signature || timestamp == null || !Number.isSafeInteger(timestamp) || input.timestamp === "") {
    return { ok: false, reason: "missing" };
  }
  if (Math.abs(input.now - timestamp) > (input.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return { ok: false, reason: "stale" };
  }
  if (!/^(?:[0-9a-f]{2})+$/i.test(input.signature)) return { ok: false, reason: "bad_signature" };
  const expected = await signRequest({ ...input, timestamp }, hashes);
  return sameSignature(expected, input.signature.toLowerCase())
    ? { ok: true }
    : { ok: false, reason: "bad_signature" };
}

/** A fresh nonce: 128 random bits, hex. */
export function newNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)).buffer as ArrayBuffer);
}

/**
 * The key one core service signs its calls to another with: HMAC(root, "caller>callee"). Deployment tooling
 * derives each pair's key from a root only it holds, so a process holds the keys of its own calls and of
 * the calls made to it, never another service's: a compromised cart cannot call pricing as order.
 */
export async function deriveServiceKey(root: string, caller: string, callee: string): Promise<string> {
  return webSigningCrypto.hmacSha256Hex(root, toBytes(`qc-service:${caller}>${callee}`));
}
