import {
  deriveServiceKey,
  type RequestBody,
  SERVICE_NAME_HEADER,
  SERVICE_SIGNATURE_HEADER,
  SERVICE_TIMESTAMP_HEADER,
  type ServiceName,
  serviceNames,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { signRequest, verifyRequest } from "../auth/signing";
import type { Config } from "../config";
import { portOf } from "../runtime/context";
import { currentScope } from "../telemetry/scope";
import { rawBodyOf } from "./edge-identity";
import { unauthorized } from "./errors";

/** Core's service-to-service routes; everything under it needs a caller's signature. */
export const INTERNAL_PREFIX = "/internal/v1/";

const keyCache = new WeakMap<Config, Map<string, Promise<string>>>();

/** The key `caller` signs its calls to `callee` with: SERVICE_KEYS' entry for the pair, else derived from the root. */
export function serviceKey(config: Config, caller: string, callee: string): Promise<string> {
  let keys = keyCache.get(config);
  if (!keys) {
    keys = new Map();
    keyCache.set(config, keys);
  }
  const pair = `${caller}>${callee}`;
  let key = keys.get(pair);
  if (!key) {
    const given = config.SERVICE_KEYS?.[pair];
    // With SERVICE_KEYS a process holds only its pairs: an unlisted pair gets a key nobody else has.
    key = given
      ? Promise.resolve(given)
      : config.SERVICE_KEYS
        ? Promise.resolve(crypto.randomUUID())
        : deriveServiceKey(config.SERVICE_AUTH_SECRET, caller, callee);
    keys.set(pair, key);
  }
  return key;
}

/** The headers that authenticate `caller`'s request to `callee` (HMAC over method, path, time, body, caller). */
export async function serviceAuthHeaders(
  config: Config,
  caller: string,
  callee: string,
  request: { method: string; path: string; body?: RequestBody },
): Promise<Record<string, string>> {
  const timestamp = Date.now();
  const signature = await signRequest({
    secret: await serviceKey(config, caller, callee),
    method: request.method,
    path: request.path,
    timestamp,
    body: request.body ?? "",
    userId: caller,
  });
  return {
    [SERVICE_NAME_HEADER]: caller,
    [SERVICE_TIMESTAMP_HEADER]: String(timestamp),
    [SERVICE_SIGNATURE_HEADER]: signature,
  };
}

/**
 * Every `/internal/v1` route of `callee` answers only a core service that signed the request with its
 * caller→callee key (401 otherwise); `/metrics` and the health probes stay open to the network.
 */
export const serviceAuth = (config: Config, callee: ServiceName) =>
  new Elysia({ name: "service-auth", seed: callee }).derive(
    { as: "global" },
    async ({ request, path }): Promise<{ caller: string | null }> => {
      if (!path.startsWith(INTERNAL_PREFIX)) return { caller: null };
      const caller = request.headers.get(SERVICE_NAME_HEADER);
      if (!caller || !/^[a-z]{2,32}$/.test(caller)) throw unauthorized("service signature missing");
      const url = new URL(request.url);
      const verdict = await verifyRequest({
        secret: await serviceKey(config, caller, callee),
        method: request.method,
        path: url.pathname + url.search,
        timestamp: request.headers.get(SERVICE_TIMESTAMP_HEADER),
        signature: request.headers.get(SERVICE_SIGNATURE_HEADER),
        body: rawBodyOf(request),
        userId: caller,
        now: Date.now(),
        maxSkewMs: config.EDGE_SIGNATURE_MAX_SKEW_MS,
      });
      if (!verdict.ok) throw unauthorized(`service signature ${verdict.reason.replace("_", " ")}`);
      return { caller };
    },
  );

// The configuration of each service running in this process, by name (tests run several in one).
const callers = new Map<string, Config>();

function calleeAt(config: Config, url: URL): ServiceName | undefined {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return serviceNames.find((name) => portOf(config, name) === port);
}

function bodyText(body: unknown): string | null | undefined {
  // A call without a body (a GET) signs the empty body, as the callee verifies it.
  if (body == null) return "";
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

let installed = false;

/**
 * Signs every outgoing call to another core service's `/internal/v1` route as the service whose request or
 * message is being handled (the telemetry scope names it; in a process of one service, that service), so each
 * service's clients authenticate without code of their own. A call whose caller cannot be told (several
 * services in one process, outside any request or message), or with a body that is not text, goes unsigned
 * and the callee refuses it.
 */
export function signInternalCalls(service: ServiceName, config: Config): void {
  callers.set(service, config);
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  const signing = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    // Outside a request or message (a timer's sweep), a process running one service is that service.
    const caller = currentScope().service ?? (callers.size === 1 ? [...callers.keys()][0] : undefined);
    const config = caller ? callers.get(caller) : undefined;
    if (!url.pathname.startsWith(INTERNAL_PREFIX) || !caller || !config) return original(input, init);
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    for (const [name, value] of new Headers(init?.headers)) headers.set(name, value);
    const body = bodyText(init?.body);
    const callee = calleeAt(config, url);
    // A service never calls its own /internal routes over HTTP: such a request (a test probing the service
    // it started) is nobody's, and goes out unsigned.
    if (headers.has(SERVICE_SIGNATURE_HEADER) || !callee || callee === caller || body === undefined)
      return original(input, init);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const signed = await serviceAuthHeaders(config, caller, callee, {
      method,
      path: url.pathname + url.search,
      body,
    });
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
    return original(input, { ...init, headers });
  };
  globalThis.fetch = Object.assign(signing, original);
}
