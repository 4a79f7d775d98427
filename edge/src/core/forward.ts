import { IDEMPOTENCY_KEY_HEADER, PREFERENCE_APPLIED_HEADER } from "@qc/contracts";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { clientIp } from "../middleware/rate-limit";
import { type CoreRequest, callCore } from "./call";
import type { Service } from "./services";

// Core's own response headers that mean something to the client; the rest stay inside.
const relayedHeaders = ["content-type", "location", "retry-after", "etag", PREFERENCE_APPLIED_HEADER];

/** Copies core's status, body and client-relevant headers into the edge's response. */
export function relay(response: Response): Response {
  const headers = new Headers();
  for (const name of relayedHeaders) {
    const value = response.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, headers });
}

/** The core request for the current edge request: same method and path, caller's identity and ids. */
function coreRequestFor(c: Context<AppEnv>, service: Service, body?: unknown) {
  const url = new URL(c.req.url);
  return {
    service,
    method: c.req.method,
    path: url.pathname + url.search,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    user: c.get("user"),
    requestId: c.get("requestId"),
    traceparent: c.get("traceparent"),
    idempotencyKey: c.req.header(IDEMPOTENCY_KEY_HEADER),
    clientIp: clientIp(c),
  };
}

/**
 * Forwards the request to the owning service, with the validated body (never the raw one) when there is
 * one; `extra` adds headers core reads, can lengthen the deadline for a request that waits on purpose, or
 * asks core something else on the caller's behalf (`method`, `path`).
 */
export async function forward(
  c: Context<AppEnv>,
  service: Service,
  body?: unknown,
  extra: Partial<Pick<CoreRequest, "headers" | "timeoutMs" | "method" | "path">> = {},
): Promise<Response> {
  return relay(await callCore(c.env, { ...coreRequestFor(c, service, body), ...extra }));
}
