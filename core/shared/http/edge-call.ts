import { EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER } from "@qc/contracts";
import { signRequest } from "../auth/signing";

export interface EdgeCall {
  edgeUrl: string;
  /** PURGE_SECRET: the key the edge checks core's calls to its `/internal` routes with. */
  secret: string;
  path: string;
  /** JSON to send; none for a bare command. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * POSTs JSON to one of the edge's `/internal` routes, signed as the edge verifies core's calls (HMAC over
 * method, path, timestamp and body). Sign per attempt: a retry after a slow first try must not carry a
 * timestamp near the edge's 30 s window.
 */
export async function postToEdge(call: EdgeCall): Promise<Response> {
  const text = call.body === undefined ? "" : JSON.stringify(call.body);
  const timestamp = Date.now();
  const signature = await signRequest({
    secret: call.secret,
    method: "POST",
    path: call.path,
    timestamp,
    body: text,
  });
  return fetch(new URL(call.path, call.edgeUrl), {
    method: "POST",
    headers: {
      ...(text ? { "content-type": "application/json" } : {}),
      [EDGE_TIMESTAMP_HEADER]: String(timestamp),
      [EDGE_SIGNATURE_HEADER]: signature,
    },
    body: text || undefined,
    signal: call.signal,
  });
}
