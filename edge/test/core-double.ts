import { createServer, type IncomingMessage, type Server } from "node:http";
import type { JSONWebKeySet } from "jose";

/** What the double received, so tests can check what the edge really sent over the wire. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

const money = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

/** An order as order's GET /v1/orders/:id shows it: placed at a fixed instant, still PENDING. */
export const orderView = (orderId: string, userId: string) => ({
  orderId,
  userId,
  storeId: "0193a000-0000-7000-8000-0000000000a1",
  status: "PENDING",
  reason: null,
  lines: [],
  subtotal: money(0),
  deliveryFee: money(0),
  discount: money(0),
  total: money(0),
  address: { line1: "1 Test Street", lat: 52.5, lng: 13.4 },
  etaMinutes: null,
  history: [],
  createdAt: "2026-12-05T10:00:00.000Z",
  updatedAt: "2026-12-05T10:00:00.000Z",
});

/** What the double's `GET /metrics` answers, in Prometheus' text format, for every service. */
export const DOUBLE_METRICS = `# HELP saga_outcomes_total Checkout sagas finished
# TYPE saga_outcomes_total counter
saga_outcomes_total{outcome="confirmed",reason=""} 40
saga_outcomes_total{outcome="rejected",reason="OUT_OF_STOCK"} 3
# TYPE kafka_consumer_lag gauge
kafka_consumer_lag{group="order-saga",topic="inventory.events.v1",partition="0"} 2
kafka_consumer_lag{group="order-saga",topic="payment.events.v1",partition="1"} 5
# TYPE circuit_breaker_state gauge
circuit_breaker_state{dependency="pricing"} 2
`;

/** The one store with open orders the double's order answers. */
export const DOUBLE_STORE_LOAD = {
  storeId: "0193a000-0000-7000-8000-0000000000a1",
  openOrders: 4,
  avgEtaMinutes: 9.5,
  maxEtaMinutes: 12,
};

/**
 * A real HTTP server standing in for every core service in edge tests. It serves auth's JWKS, records
 * each request by `X-Request-Id`, and answers by path: `/slow…` after 2 s, a checkout with `Prefer: wait=N` after N s with 201, `/fail…` with 500, `/gateway…` with 502, `/bad-input…` with 400, `/shed…` with 503 + Retry-After, Cloudflare's KV `…/bulk` with success, anything
 * else with a JSON echo that carries a serial number (so a refill is distinguishable from a cached copy).
 */
export function startCoreDouble(port: number, jwks: JSONWebKeySet): Promise<Server> {
  const received = new Map<string, ReceivedRequest[]>();
  let served = 0;
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://double");
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith("/__received/")) {
      return json(200, received.get(decodeURIComponent(url.pathname.slice("/__received/".length))) ?? []);
    }
    const body = await readBody(request);
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(",") : (value ?? ""),
      ]),
    );
    const record = { method: request.method ?? "GET", path: url.pathname + url.search, headers, body };
    const requestId = headers["x-request-id"] ?? "";
    received.set(requestId, [...(received.get(requestId) ?? []), record]);

    if (url.pathname === "/v1/auth/.well-known/jwks.json") return json(200, jwks);
    if (url.pathname === "/health/ready")
      return json(200, { service: "double", status: "ready", checks: { postgres: "up" } });
    if (url.pathname.startsWith("/slow")) return setTimeout(() => json(200, { slow: true }), 2_000);
    // Checkout with `Prefer: wait=N`: like order, holds the answer N s, then 201 with Preference-Applied.
    const wait = /wait=(\d+)/.exec(headers.prefer ?? "")?.[1];
    if (url.pathname === "/v1/orders" && request.method === "POST" && wait !== undefined) {
      return setTimeout(() => {
        response.writeHead(201, { "content-type": "application/json", "preference-applied": `wait=${wait}` });
        response.end(
          JSON.stringify({ orderId: "0193a000-0000-7000-8000-0000000000d1", status: "CONFIRMED" }),
        );
      }, Number(wait) * 1_000);
    }
    // One order as order answers its owner; an id ending in 404 is someone else's (order's own 404).
    const order = /^\/v1\/orders\/([0-9a-f-]{36})$/.exec(url.pathname)?.[1];
    if (order && request.method === "GET") {
      if (order.endsWith("404"))
        return json(404, { type: "urn:quickcommerce:problem:not_found", status: 404 });
      return json(200, orderView(order, headers["x-user-id"] ?? ""));
    }
    // The operators' dashboard: a service's metrics (ops.test.ts reads these figures back) and order's open orders.
    if (url.pathname === "/metrics") {
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      return response.end(DOUBLE_METRICS);
    }
    if (url.pathname === "/v1/admin/ops/stores") return json(200, { stores: [DOUBLE_STORE_LOAD] });
    if (url.pathname.startsWith("/fail")) return json(500, { failed: true });
    if (url.pathname.startsWith("/gateway")) return json(502, { failed: true });
    if (url.pathname.startsWith("/bad-input"))
      return json(400, { type: "urn:quickcommerce:problem:invalid_input", status: 400 });
    if (url.pathname.startsWith("/shed")) {
      response.writeHead(503, { "content-type": "application/problem+json", "retry-after": "1" });
      return response.end(JSON.stringify({ type: "urn:quickcommerce:problem:overloaded", status: 503 }));
    }
    if (url.pathname.endsWith("/bulk"))
      return json(200, { success: true, errors: [], messages: [], result: null });
    if (url.pathname.endsWith("/not-here"))
      return json(404, { type: "about:blank", title: "Not Found", status: 404 });
    served += 1;
    return json(request.method === "POST" ? 201 : 200, { served, method: record.method, path: record.path });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
