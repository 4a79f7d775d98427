import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  REQUEST_ID_HEADER,
  signRequest,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
} from "@qc/contracts";
import type { User } from "../env";
import { problem } from "../errors";
import { BreakerOpenError, CircuitBreaker } from "./breaker";
import { type Service, serviceTimeoutMs, serviceUrl } from "./services";

export interface CoreRequest {
  service: Service;
  method: string;
  /** Path plus query, forwarded unchanged (core serves the public paths itself). */
  path: string;
  body?: string;
  user?: User | undefined;
  requestId: string;
  traceparent: string;
  idempotencyKey?: string | undefined;
  /** Other headers core reads (e.g. `Prefer`); not part of the signature. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3_000;

/**
 * A 503 with `Retry-After` is a live service refusing work it cannot do in time (auth beyond its hashing
 * limit): the breaker must not open on it, or one burst would refuse every caller for the open period.
 */
const isShed = (response: Response) => response.status === 503 && response.headers.has("retry-after");

// One breaker per service base URL, for the life of the isolate.
const breakers = new Map<string, CircuitBreaker>();

function breakerFor(baseUrl: string): CircuitBreaker {
  let breaker = breakers.get(baseUrl);
  if (!breaker) {
    breaker = new CircuitBreaker();
    breakers.set(baseUrl, breaker);
  }
  return breaker;
}

/** The headers core needs: correlation, trace, identity and the HMAC signature over all of it. */
async function signedHeaders(env: Env, request: CoreRequest): Promise<Headers> {
  const timestamp = Date.now();
  const roles = request.user?.roles ?? [];
  const signature = await signRequest({
    secret: env.EDGE_SIGNING_SECRET,
    method: request.method,
    path: request.path,
    timestamp,
    body: request.body,
    userId: request.user?.id ?? null,
    roles,
  });
  const headers = new Headers({
    accept: "application/json",
    [REQUEST_ID_HEADER]: request.requestId,
    traceparent: request.traceparent,
    [EDGE_TIMESTAMP_HEADER]: String(timestamp),
    [EDGE_SIGNATURE_HEADER]: signature,
  });
  if (request.user) {
    headers.set(USER_ID_HEADER, request.user.id);
    headers.set(USER_ROLES_HEADER, roles.join(","));
  }
  if (request.body !== undefined) headers.set("content-type", "application/json");
  if (request.idempotencyKey) headers.set(IDEMPOTENCY_KEY_HEADER, request.idempotencyKey);
  for (const [name, value] of Object.entries(request.headers ?? {})) headers.set(name, value);
  return headers;
}

/** The deadline of an ordinary call to `service`: CORE_TIMEOUT_MS, raised where the service needs it. */
export function callCoreTimeoutMs(env: Env, service: Service): number {
  return serviceTimeoutMs(service, Number(env.CORE_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS);
}

/**
 * Calls core signed, with a timeout, behind the service's circuit breaker. A dead or hanging core becomes
 * a fast 503 (or 504 on timeout) problem instead of a hanging request; 5xx answers count as failures,
 * except a 503 with `Retry-After` (load shed by a live service).
 */
export async function callCore(env: Env, request: CoreRequest): Promise<Response> {
  const baseUrl = serviceUrl(env, request.service);
  const timeoutMs = request.timeoutMs ?? callCoreTimeoutMs(env, request.service);
  const headers = await signedHeaders(env, request);
  try {
    return await breakerFor(baseUrl).run(
      () =>
        fetch(baseUrl + request.path, {
          method: request.method,
          headers,
          body: request.body ?? null,
          signal: AbortSignal.timeout(timeoutMs),
        }),
      (response) => response.status >= 500 && !isShed(response),
    );
  } catch (error) {
    if (error instanceof BreakerOpenError) {
      throw problem(503, "core-unavailable", `The ${request.service} service is unavailable`, {
        "retry-after": "10",
      });
    }
    if (error instanceof Error && error.name === "TimeoutError") {
      throw problem(
        504,
        "core-timeout",
        `The ${request.service} service did not answer within ${timeoutMs} ms`,
      );
    }
    throw problem(503, "core-unavailable", `The ${request.service} service is unreachable`);
  }
}
