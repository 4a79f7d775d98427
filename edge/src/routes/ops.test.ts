import { OpsSummary } from "@qc/contracts";
import { describe, expect, it } from "vitest";
import { DOUBLE_STORE_LOAD } from "../../test/core-double";
import { as, checkout, edge, freshIp } from "../../test/helpers";
import { parseSamples } from "../ops/core-metrics";
import { edgeTraffic } from "../ops/source";

const summary = (headers: Record<string, string>) => edge("/v1/admin/ops/summary", { headers });

describe("GET /v1/admin/ops/summary", () => {
  it("answers an admin the dashboard's figures: edge traffic from the kept data points, core's metrics, open orders", async () => {
    // A checkout through the edge (the double accepts it at once with Prefer: wait=0) leaves a data point.
    const placed = await checkout(await as({ roles: ["shopper"] }));
    expect(placed.status).toBe(201);

    const response = await summary(await as({ roles: ["admin"] }));
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = OpsSummary.parse(await response.json());
    expect(body.source).toBe("local");
    expect(body.windowSeconds).toBe(60);
    expect(body.edge.ordersPerSecond).toBeGreaterThan(0);
    expect(body.edge.checkoutLatencyMs.p50).not.toBeNull();
    expect(body.services.every(({ up }) => up)).toBe(true);
    expect(body.rejections).toContainEqual({ outcome: "rejected", reason: "OUT_OF_STOCK", count: 3 });
    expect(body.rejections.some(({ outcome }) => outcome === "confirmed")).toBe(false);
    expect(body.consumerLag).toContainEqual({ service: "order", group: "order-saga", lag: 7 });
    expect(body.breakers).toContainEqual({ owner: "edge", dependency: "order", state: "closed" });
    expect(body.breakers).toContainEqual({ owner: "payment", dependency: "pricing", state: "open" });
    expect(body.stores).toEqual([DOUBLE_STORE_LOAD]);
  });

  it("refuses a shopper (403) and a caller without a token (401)", async () => {
    expect((await summary(await as({ roles: ["shopper"] }))).status).toBe(403);
    expect((await summary({ "cf-connecting-ip": freshIp() })).status).toBe(401);
  });

  it("refuses a window outside 10–300 s with a problem naming it", async () => {
    const response = await edge("/v1/admin/ops/summary?windowSeconds=5", {
      headers: await as({ roles: ["admin"] }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("windowSeconds");
  });
});

describe("GET /ops", () => {
  it("serves the page with its own script and uPlot from the Worker, under a CSP that allows nothing else", async () => {
    const response = await edge("/ops");
    expect(response.status).toBe(200);
    const html = await response.text();
    const sources = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1]);
    expect(sources).toEqual(["/uPlot.iife.min.js", "/ops/app.js"]);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect((await edge("/ops/app.js")).headers.get("content-type")).toContain("javascript");
  });
});

describe("parseSamples", () => {
  it("reads the named families' samples with their labels, unescaped, and skips comments and others", () => {
    const text = [
      "# HELP x_total help",
      'x_total{a="1",b="say \\"hi\\"\\n"} 3',
      "y_total 9",
      'kafka_consumer_lag{group="g"} 4 1700000000000',
    ].join("\n");
    expect(parseSamples(text, new Set(["x_total", "kafka_consumer_lag"]))).toEqual([
      { name: "x_total", labels: { a: "1", b: 'say "hi"\n' }, value: 3 },
      { name: "kafka_consumer_lag", labels: { group: "g" }, value: 4 },
    ]);
  });
});

describe("edgeTraffic", () => {
  it("counts accepted checkouts per second, HIT and STALE over cached reads, and 429s by route", () => {
    const row = (route: string, method: string, status: number, cache: string, count: number) => ({
      route,
      method,
      status,
      cache,
      count,
    });
    const traffic = edgeTraffic(
      {
        counts: [
          row("/v1/orders", "POST", 201, "BYPASS", 90),
          row("/v1/orders", "POST", 202, "BYPASS", 30),
          row("/v1/orders", "POST", 429, "BYPASS", 4),
          row("/v1/catalog/products/:sku", "GET", 200, "HIT", 6),
          row("/v1/catalog/products/:sku", "GET", 200, "STALE", 1),
          row("/v1/catalog/products/:sku", "GET", 200, "MISS", 3),
          row("/v1/auth/login", "POST", 429, "BYPASS", 7),
        ],
        checkoutLatencyMs: { p50: 480, p99: 1_100 },
      },
      60,
    );
    expect(traffic).toEqual({
      requests: 141,
      ordersPerSecond: 2,
      checkoutLatencyMs: { p50: 480, p99: 1_100 },
      cacheHitRatio: 0.7,
      rateLimited: [
        { route: "/v1/auth/login", count: 7 },
        { route: "/v1/orders", count: 4 },
      ],
    });
  });
});
