import { REQUEST_ID_HEADER } from "@qc/contracts";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";

export interface CorrelationOptions {
  /** Incoming ids that do not match are replaced, so a client cannot inject log-breaking text. */
  acceptId?: RegExp;
  generateId?: () => string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * W3C trace context: keep the caller's trace id and flags, start a new span for the edge's hop,
 * or start a new sampled trace when there is no valid parent.
 */
export function childTraceparent(incoming: string | undefined): string {
  const match = incoming?.toLowerCase().match(TRACEPARENT);
  const traceId = match?.[1] && !/^0+$/.test(match[1]) ? match[1] : randomHex(16);
  return `00-${traceId}-${randomHex(8)}-${match?.[3] ?? "01"}`;
}

/** Takes `X-Request-Id` from the client (or creates one), returns it, and starts the edge's trace span. */
export function correlation(options: CorrelationOptions = {}): MiddlewareHandler<AppEnv> {
  const acceptId = options.acceptId ?? /^[A-Za-z0-9._:-]{8,128}$/;
  const generateId = options.generateId ?? (() => crypto.randomUUID());
  return async function correlationMiddleware(c, next) {
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const requestId = incoming && acceptId.test(incoming) ? incoming : generateId();
    c.set("requestId", requestId);
    c.set("traceparent", childTraceparent(c.req.header("traceparent")));
    c.header(REQUEST_ID_HEADER, requestId);
    await next();
    // Error responses are built after this middleware ran; make sure they carry the id too.
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  };
}
