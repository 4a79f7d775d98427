import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  type Role,
  signRequest,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
} from "@qc/contracts";

export interface SignedRequestOptions {
  body?: unknown;
  user?: { userId: string; roles: Role[] };
  headers?: Record<string, string>;
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
  const signature = await signRequest({
    secret: options.secret ?? "dev-edge-signing-secret-change-me",
    method,
    path,
    timestamp,
    body,
    userId: options.user?.userId ?? null,
    roles: options.user?.roles ?? [],
  });
  const headers: Record<string, string> = {
    ...options.headers,
    [EDGE_TIMESTAMP_HEADER]: String(timestamp),
    [EDGE_SIGNATURE_HEADER]: signature,
  };
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
