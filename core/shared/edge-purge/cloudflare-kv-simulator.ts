/**
 * A local stand-in for the Cloudflare KV REST API (the real one is outside this machine), for tests of
 * CloudflareKvPurger. It answers like api.cloudflare.com/client/v4: the `{success, errors, messages, result}`
 * envelope, 400 code 6003 for a malformed Authorization header, 403 code 10000 for a wrong token, 404 code
 * 10013 for an unknown namespace, 429 code 971 with Retry-After above the rate limit, bulk writes of at most
 * 10,000 pairs with keys of at most 512 bytes, and a delay before every answer.
 */
export interface KvSimulatorOptions {
  accountId: string;
  namespaceId: string;
  apiToken: string;
  /** Delay before every answer (the real API is tens of milliseconds away). */
  latencyMs?: number;
  /** Requests allowed per window before answering 429 (the real limit is 1,200 per 5 minutes). */
  rateLimit?: { requests: number; windowMs: number };
}

export interface KvSimulator {
  /** `http://127.0.0.1:<port>/client/v4`, to use as CLOUDFLARE_API_BASE. */
  apiBase: string;
  /** The namespace's current values. */
  values: Map<string, string>;
  /** Every answer's status, in order. */
  statuses: number[];
  stop(): Promise<void>;
}

const answer = (
  status: number,
  result: unknown,
  errors: { code: number; message: string }[] = [],
  headers = {},
) => Response.json({ success: errors.length === 0, errors, messages: [], result }, { status, headers });

const MAX_KEY_BYTES = 512;
const MAX_BULK_PAIRS = 10_000;

export function startKvSimulator(options: KvSimulatorOptions): KvSimulator {
  const values = new Map<string, string>();
  const statuses: number[] = [];
  const prefix = `/client/v4/accounts/${options.accountId}/storage/kv/namespaces/`;
  let windowStart = Date.now();
  let requestsInWindow = 0;

  const overLimit = (): number | undefined => {
    if (!options.rateLimit) return undefined;
    const now = Date.now();
    if (now - windowStart >= options.rateLimit.windowMs) {
      windowStart = now;
      requestsInWindow = 0;
    }
    requestsInWindow++;
    if (requestsInWindow <= options.rateLimit.requests) return undefined;
    return Math.ceil((windowStart + options.rateLimit.windowMs - now) / 1000);
  };

  const bulkWrite = async (request: Request) => {
    const pairs = (await request.json().catch(() => null)) as { key?: unknown; value?: unknown }[] | null;
    if (!Array.isArray(pairs))
      return answer(400, null, [{ code: 10026, message: "could not parse request body" }]);
    if (pairs.length > MAX_BULK_PAIRS)
      return answer(413, null, [{ code: 10005, message: `too many pairs (max ${MAX_BULK_PAIRS})` }]);
    for (const pair of pairs) {
      if (typeof pair.key !== "string" || typeof pair.value !== "string")
        return answer(400, null, [{ code: 10026, message: "each pair needs a string key and value" }]);
      if (new TextEncoder().encode(pair.key).length > MAX_KEY_BYTES)
        return answer(414, null, [{ code: 10033, message: "key too long" }]);
    }
    for (const pair of pairs) values.set(pair.key as string, pair.value as string);
    return answer(200, { successful_key_count: pairs.length, unsuccessful_keys: [] });
  };

  const route = async (request: Request): Promise<Response> => {
    const authorization = request.headers.get("authorization") ?? "";
    if (!/^Bearer [\w-]+$/.test(authorization))
      return answer(400, null, [{ code: 6003, message: "Invalid request headers" }]);
    if (authorization !== `Bearer ${options.apiToken}`)
      return answer(403, null, [{ code: 10000, message: "Authentication error" }]);
    const retryAfter = overLimit();
    if (retryAfter !== undefined)
      return answer(
        429,
        null,
        [{ code: 971, message: "Please wait and consider throttling your request speed" }],
        {
          "retry-after": String(retryAfter),
        },
      );
    const path = new URL(request.url).pathname;
    if (!path.startsWith(prefix))
      return answer(404, null, [{ code: 7003, message: `Could not route to ${path}` }]);
    const [namespaceId, resource, ...rest] = path.slice(prefix.length).split("/");
    if (namespaceId !== options.namespaceId)
      return answer(404, null, [{ code: 10013, message: "get namespace: 'namespace not found'" }]);
    if (resource === "bulk" && rest.length === 0 && request.method === "PUT") return bulkWrite(request);
    if (resource === "values" && rest.length === 1 && request.method === "PUT") {
      values.set(decodeURIComponent(rest[0] ?? ""), await request.text());
      return answer(200, null);
    }
    return answer(405, null, [{ code: 10000, message: "method or route not allowed" }]);
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      await Bun.sleep(options.latencyMs ?? 40);
      const response = await route(request);
      statuses.push(response.status);
      return response;
    },
  });
  return {
    apiBase: `http://127.0.0.1:${server.port}/client/v4`,
    values,
    statuses,
    stop: () => server.stop(true),
  };
}
