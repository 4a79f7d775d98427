/**
 * CPU the edge's own code spends on a cached catalog read, without the runtime around it: the real
 * middleware chain (correlation, request log, body limit, validation, read cache) on V8 in Node, with KV
 * as an in-memory map so only our code and its libraries are measured. Run with `node edge/bench/handler-cpu.mjs`.
 */
import { ProductsQuery } from "@qc/contracts";
import { Hono } from "hono";
import type { AppEnv } from "../src/env";
import { bodySizeLimit } from "../src/middleware/body-limit";
import { correlation } from "../src/middleware/correlation";
import { readCache } from "../src/middleware/read-cache";
import { requestLog } from "../src/middleware/request-log";
import { validate } from "../src/middleware/validate";

function memoryKv() {
  const values = new Map<string, { value: string; metadata: unknown }>();
  return {
    async get(key: string | string[]) {
      if (Array.isArray(key)) return new Map(key.map((k) => [k, values.get(k)?.value ?? null]));
      return values.get(key)?.value ?? null;
    },
    async getWithMetadata(key: string) {
      const entry = values.get(key);
      return { value: entry?.value ?? null, metadata: entry?.metadata ?? null };
    },
    async put(key: string, value: string, options: { metadata?: unknown } = {}) {
      values.set(key, { value, metadata: options.metadata ?? null });
    },
  };
}

const page = JSON.stringify({
  items: Array.from({ length: 20 }, (_, i) => ({ sku: `SKU-${i}`, name: `Product ${i}` })),
  nextCursor: null,
});
const app = new Hono<AppEnv>()
  .use(correlation())
  .use(requestLog({ log: () => undefined }))
  .use(bodySizeLimit())
  .get(
    "/v1/catalog/products",
    validate("query", ProductsQuery),
    readCache({
      name: "catalog",
      scopes: (c) => [{ kind: "catalog" }, { kind: "store", storeId: c.req.query("storeId") ?? "" }],
      fill: async () => new Response(page, { headers: { "content-type": "application/json" } }),
    }),
  );

const env = { CACHE: memoryKv(), REQUESTS: { writeDataPoint: () => undefined } } as unknown as Env;
const ctx = {
  waitUntil: () => undefined,
  passThroughOnException: () => undefined,
  props: {},
} as unknown as ExecutionContext;
const url =
  "http://edge.test/v1/catalog/products?storeId=0190a5c0-0000-7000-8000-000000000001&category=fruit&limit=20";

async function read(): Promise<string | null> {
  const response = await app.fetch(new Request(url), env, ctx);
  await response.arrayBuffer();
  return response.headers.get("x-cache");
}

console.log(`first read: ${await read()}, then: ${await read()}`);
for (let i = 0; i < 5_000; i++) await read(); // warm up the JIT
const runs = 20_000;
const before = process.cpuUsage();
for (let i = 0; i < runs; i++) await read();
const used = process.cpuUsage(before);
console.log(
  `${runs} cached reads: ${(((used.user + used.system) / runs) | 0) / 1000} ms CPU per read (V8 in Node, KV in memory)`,
);
