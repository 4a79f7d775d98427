import {
  CLIENT_IP_HEADER,
  EDGE_NONCE_HEADER,
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  newNonce,
  REQUEST_ID_HEADER,
  signRequest,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
  USER_STORES_HEADER,
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
  /** The client's address as the edge established it (signed: auth locks sign-ins per email and client). */
  clientIp?: string | undefined;
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

/**
 * What counts against a service's breaker: only a gateway-class answer (502, 504, or a 503 that is not a
 * load shed). Any 4xx, and a 500 too, is an answer to *this* request: counting it would let anyone open the
 * breaker for everyone with a handful of bad requests (a NUL byte once did it). Timeouts and connection
 * errors count where they are thrown.
 */
export const countsAsDependencyFailure = (response: Response): boolean =>
  response.status === 502 || response.status === 504 || (response.status === 503 && !isShed(response));

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

/** The state of this isolate's breaker for a service URL ("closed" before the first call to it). */
export function breakerState(env: Env, service: Service): CircuitBreaker["state"] {
  return breakers.get(serviceUrl(env, service))?.state ?? "closed";
}

/**
 * The headers core needs: correlation, trace, identity and the HMAC signature over all of it, with a nonce
 * (core refuses a replay inside the window) and the `Idempotency-Key` (it cannot be swapped on a captured call).
 */
async function signedHeaders(env: Env, request: CoreRequest): Promise<Headers> {
  const timestamp = Date.now();
  const nonce = newNonce();
  const roles = request.user?.roles ?? [];
  const storeIds = request.user?.storeIds ?? [];
  const signature = await signRequest({
    secret: env.EDGE_SIGNING_SECRET,
    method: request.method,
    path: request.path,
    timestamp,
    body: request.body,
    userId: request.user?.id ?? null,
    roles,
    nonce,
    idempotencyKey: request.idempotencyKey ?? null,
    storeIds,
    clientIp: request.clientIp ?? null,
  });
  const headers = new Headers({
    accept: "application/json",
    [REQUEST_ID_HEADER]: request.requestId,
    traceparent: request.traceparent,
    [EDGE_TIMESTAMP_HEADER]: String(timestamp),
    [EDGE_NONCE_HEADER]: nonce,
    [EDGE_SIGNATURE_HEADER]: signature,
  });
  if (request.user) {
    headers.set(USER_ID_HEADER, request.user.id);
    headers.set(USER_ROLES_HEADER, roles.join(","));
    if (storeIds.length > 0) headers.set(USER_STORES_HEADER, storeIds.join(","));
  }
  if (request.clientIp) headers.set(CLIENT_IP_HEADER, request.clientIp);
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
 * a fast 503 (or 504 on timeout) problem instead of a hanging request; only timeouts, connection errors
 * and 502–504 answers count as failures (see countsAsDependencyFailure).
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
      countsAsDependencyFailure,
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
