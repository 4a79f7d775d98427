import { afterAll, describe, expect, it } from "bun:test";
import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  PURGE_PATH,
  PurgeBody,
  verifyRequest,
} from "@qc/contracts";
import { policyFor } from "../resilience";
import { EdgeEndpointPurger } from "./edge-endpoint";
import { isTransientPurgeError, PurgeFailedError, versionKey } from "./purger";

const secret = "purge-secret-for-tests";
const storeId = "0193a000-0000-7000-8000-0000000000bb";

// Checks what the edge's /internal/purge checks, with the same contract functions (verifyRequest, PurgeBody);
// the edge itself, in workerd, is exercised by tests/e2e/price-purge.test.ts. (Importing the Worker's route
// here would drag Workers-only types into core's typecheck.)
const kv = new Map<string, string>();
const statuses: number[] = [];
const handle = async (request: Request): Promise<Response> => {
  const text = await request.text();
  const url = new URL(request.url);
  if (request.method !== "POST" || url.pathname !== PURGE_PATH) return new Response(null, { status: 404 });
  const verdict = await verifyRequest({
    secret,
    method: request.method,
    path: url.pathname + url.search,
    timestamp: request.headers.get(EDGE_TIMESTAMP_HEADER),
    signature: request.headers.get(EDGE_SIGNATURE_HEADER),
    body: text,
    now: Date.now(),
  });
  if (!verdict.ok) return new Response(verdict.reason, { status: 401 });
  const body = PurgeBody.safeParse(JSON.parse(text));
  if (!body.success) return new Response(body.error.message, { status: 400 });
  for (const scope of body.data.scopes) kv.set(versionKey(scope), crypto.randomUUID().slice(0, 8));
  return new Response(null, { status: 204 });
};
const edge = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const response = await handle(request);
    statuses.push(response.status);
    return response;
  },
});
afterAll(() => edge.stop(true));

const purger = (withSecret = secret) =>
  new EdgeEndpointPurger({
    edgeUrl: `http://127.0.0.1:${edge.port}`,
    secret: withSecret,
    policy: policyFor(`edge-test-${crypto.randomUUID()}`, { retries: 2, isTransient: isTransientPurgeError }),
  });

describe("EdgeEndpointPurger", () => {
  it("is accepted by the edge's purge handler, which bumps each scope's version", async () => {
    await purger().purge([{ kind: "store", storeId }, { kind: "catalog" }]);
    expect(kv.get(`ver:store=${storeId}`)).toMatch(/^[0-9a-f]{8}$/);
    const before = kv.get("ver:catalog");
    await purger().purge([{ kind: "catalog" }]);
    expect(kv.get("ver:catalog")).not.toBe(before);
  });

  it("fails at once, without retries, when the edge refuses its signature", async () => {
    statuses.length = 0;
    const failure = await purger("some-other-secret-xx")
      .purge([{ kind: "stores" }])
      .catch((error) => error);
    expect(failure).toBeInstanceOf(PurgeFailedError);
    expect((failure as PurgeFailedError).status).toBe(401);
    expect(statuses).toEqual([401]);
    expect(kv.has("ver:stores")).toBe(false);
  });

  it("splits more scopes than the edge takes per call into several calls", async () => {
    statuses.length = 0;
    const stores = Array.from({ length: 150 }, (_, index) => ({
      kind: "store" as const,
      storeId: `0193a000-0000-7000-8000-${String(index).padStart(12, "0")}`,
    }));
    await purger().purge(stores);
    expect(statuses).toEqual([204, 204]);
    expect(kv.has(`ver:store=${stores[149]?.storeId}`)).toBe(true);
  });
});
