import {
  CLIENT_IP_HEADER,
  EDGE_NONCE_HEADER,
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  newNonce,
  type Role,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
  USER_STORES_HEADER,
} from "@qc/contracts";
import { signRequest } from "../auth/signing";

export interface SignedRequestOptions {
  body?: unknown;
  user?: { userId: string; roles: Role[]; storeIds?: string[] };
  headers?: Record<string, string>;
  /** Sent as `X-Edge-Nonce`; a fresh one by default. */
  nonce?: string;
  /** The client address the edge vouches for (`X-Client-Ip`). */
  clientIp?: string;
  secret?: string;
  timestamp?: number;
  baseUrl?: string;
}

/** Builds a request as the edge sends it to core: JSON body, identity headers and HMAC signature. */
export async function signedRequest(
  method: string,
  path: string,
  options: SignedRequestOptions = {},
): Promise<Request> {
  const body = options.body === undefined ? "" : JSON.stringify(options.body);
  const timestamp = options.timestamp ?? Date.now();
  const nonce = options.nonce ?? newNonce();
  const idempotencyKey =
    Object.entries(options.headers ?? {}).find(
      ([name]) => name.toLowerCase() === IDEMPOTENCY_KEY_HEADER.toLowerCase(),
    )?.[1] ?? null;
  const storeIds = options.user?.storeIds ?? [];
  const signature = await signRequest({
    secret: options.secret ?? "dev-edge-signing-secret-change-me",
    method,
    path,
    timestamp,
    body,
    userId: options.user?.userId ?? null,
    roles: options.user?.roles ?? [],
    nonce,
    idempotencyKey,
    storeIds,
    clientIp: options.clientIp ?? null,
  });
  const headers: Record<string, string> = {
    ...options.headers,
    [EDGE_TIMESTAMP_HEADER]: String(timestamp),
    [EDGE_NONCE_HEADER]: nonce,
    [EDGE_SIGNATURE_HEADER]: signature,
  };
  if (options.clientIp) headers[CLIENT_IP_HEADER] = options.clientIp;
  if (storeIds.length > 0) headers[USER_STORES_HEADER] = storeIds.join(",");
  if (body) headers["content-type"] = "application/json";
  if (options.user) {
    headers[USER_ID_HEADER] = options.user.userId;
    headers[USER_ROLES_HEADER] = options.user.roles.join(",");
  }
  return new Request(`${options.baseUrl ?? "http://localhost"}${path}`, {
    method,
    headers,
    ...(body ? { body } : {}),
  });
}
