import type { z } from "zod";
import type { NamedPolicy } from "../resilience";
import { injectTraceHeaders } from "../telemetry/tracing";

/** Another service answered with a status we do not treat as success. */
export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${service} answered ${status}`);
    this.name = "UpstreamError";
  }
}

/** Only server errors and network failures are worth another attempt; a 4xx answer stays the same. */
export const isTransient = (error: Error): boolean =>
  !(error instanceof UpstreamError) || error.status >= 500;

/**
 * Calls another core service under its resilience policy and parses a 2xx JSON answer with `schema`; the
 * call is signed as the calling service (service-auth) and carries the trace. The one HTTP client of core.
 */
export async function callJson<S extends z.ZodType>(
  policy: NamedPolicy,
  request: { method: "GET" | "POST" | "DELETE"; url: string; body?: unknown },
  schema: S,
): Promise<z.output<S>> {
  return policy.execute(async (signal) => {
    const response = await fetch(request.url, {
      method: request.method,
      signal,
      // The callee's server span joins the checkout's trace.
      headers: injectTraceHeaders(request.body === undefined ? {} : { "content-type": "application/json" }),
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) throw new UpstreamError(policy.name, response.status, body);
    return schema.parse(body);
  });
}
