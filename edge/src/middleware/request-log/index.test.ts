import { describe, expect, it } from "vitest";
import { as, edge, freshIp } from "../../../test/helpers";

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
});
