import { ROOT_CONTEXT, SpanStatusCode } from "@opentelemetry/api";
import { Elysia } from "elysia";
import { metrics, registry, stopwatch } from "./metrics";
import { scopedContext } from "./scope";
import { extractContext, SpanKind, withSpan } from "./tracing";

const REQUEST_ID_HEADER = "x-request-id";
// Elysia knows the matched route template; the server span and metrics, outside Elysia, read it here.
const routes = new WeakMap<Request, string>();
// Probes and scrapes would drown the traces and skew the latency of real routes.
const unobserved = (path: string) => path === "/metrics" || path.startsWith("/health/");

/**
 * Wraps a service's fetch handler so each request runs inside a server span continuing the caller's
 * `traceparent`, with the edge's `X-Request-Id` as correlation id in scope (logs carry both), and records
 * the request's rate, status and latency per route template.
 */
export function observeRequests(
  service: string,
  handle: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (unobserved(path)) return handle(request);
    const elapsed = stopwatch();
    const parent = scopedContext(
      { service, correlationId: request.headers.get(REQUEST_ID_HEADER) ?? undefined },
      extractContext(request.headers, ROOT_CONTEXT),
    );
    return withSpan(
      request.method,
      { "http.request.method": request.method, "url.path": path },
      async (span) => {
        let status = 500;
        try {
          const response = await handle(request);
          status = response.status;
          return response;
        } finally {
          const route = routes.get(request) ?? "unmatched";
          span.updateName(`${request.method} ${route}`);
          span.setAttributes({ "http.route": route, "http.response.status_code": status });
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          metrics.httpRequest(service, request.method, route, status, elapsed());
        }
      },
      { kind: SpanKind.SERVER, parent },
    );
  };
}

/**
 * Per-request telemetry inside Elysia: notes the matched route template for the span and metrics, and
 * serves `GET /metrics` in Prometheus' text format. Routes log with `ctx.logger`: inside a request its
 * lines carry the correlation id and trace id on their own (see createLogger).
 */
export const requestTelemetry = (service: string) =>
  new Elysia({ name: `telemetry-${service}` })
    .onTransform({ as: "global" }, ({ request, route }) => {
      routes.set(request, route);
    })
    .get("/metrics", async ({ set }) => {
      set.headers["content-type"] = registry.contentType;
      return registry.metrics();
    });
