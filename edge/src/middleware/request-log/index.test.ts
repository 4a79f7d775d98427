import { createExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { as, edge, env, freshIp } from "../../../test/helpers";
import type { AppEnv } from "../../env";
import { requestLog } from ".";

/** Records data points the way Analytics Engine would receive them. */
function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  return {
    points,
    dataset: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => point && points.push(point) },
  };
}

describe("requestLog", () => {
  it("writes one data point per request with route template, cache status, role, status and latency", async () => {
    const { points, dataset } = recordingDataset();
    const store = crypto.randomUUID();
    const path = `/v1/catalog/products/MILK-1?storeId=${store}`;
    await edge(path, { headers: { "cf-connecting-ip": freshIp() } }, { REQUESTS: dataset });
    await edge(path, { headers: { "cf-connecting-ip": freshIp() } }, { REQUESTS: dataset });
    await edge("/v1/orders", { headers: await as({ roles: ["shopper"] }) }, { REQUESTS: dataset });
    expect(points).toHaveLength(3);
    expect(points[0]?.blobs?.slice(0, 4)).toEqual(["/v1/catalog/products/:sku", "GET", "MISS", "anonymous"]);
    expect(points[1]?.blobs?.[2]).toBe("HIT");
    expect(points[2]?.blobs?.slice(0, 4)).toEqual(["/v1/orders", "GET", "BYPASS", "shopper"]);
    expect(points[2]?.doubles?.[0]).toBe(200);
    expect(points[0]?.indexes).toEqual(["/v1/catalog/products/:sku"]);
  });

  it("writes every request's line by default and only failed ones' at REQUEST_LOG_LEVEL=warn, with a data point for each", async () => {
    const linesAt = async (level: string | undefined) => {
      const lines: { level: string; status: number; route: string }[] = [];
      const { points, dataset } = recordingDataset();
      const app = new Hono<AppEnv>()
        .use(requestLog({ log: (line) => lines.push(JSON.parse(line)) }))
        .get("/ok", (c) => c.text("ok"))
        .get("/refused", (c) => c.text("no", 422))
        .get("/down", (c) => c.text("down", 503));
      for (const path of ["/ok", "/refused", "/down"]) {
        const response = await app.fetch(
          new Request(`http://edge.test${path}`),
          { ...env, REQUESTS: dataset, OPS_SOURCE: "analytics-engine", REQUEST_LOG_LEVEL: level } as Env,
          createExecutionContext(),
        );
        await response.text();
      }
      expect(points).toHaveLength(3);
      return lines.map((line) => `${line.level} ${line.status} ${line.route}`);
    };
    const every = ["info 200 /ok", "info 422 /refused", "error 503 /down"];
    expect(await linesAt(undefined)).toEqual(every);
    expect(await linesAt("info")).toEqual(every);
    expect(await linesAt("a typo")).toEqual(every);
    expect(await linesAt("warn")).toEqual(["error 503 /down"]);
    expect(await linesAt("error")).toEqual(["error 503 /down"]);
  });
});
