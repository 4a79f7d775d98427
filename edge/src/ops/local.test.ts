import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { env } from "../../test/helpers";
import { requestDataPoint } from "./data-points";
import { keepLocally, LocalSource } from "./local";

const point = (route: string) =>
  requestDataPoint({
    route,
    method: "GET",
    status: 200,
    cache: "MISS",
    role: "anonymous",
    latencyMs: 3,
    requestId: crypto.randomUUID(),
    traceparent: "",
    colo: "local",
  });

const redis = () =>
  new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false });
const stored = (host: string) => redis().zcard(`ops:requests:${host}`);

describe("the local copy of request data points", () => {
  it("gathers the points of many requests and writes them together once the delay is over", async () => {
    const host = `gather-${crypto.randomUUID()}`;
    const gathering = { ...env, OPS_LOCAL_FLUSH_MS: "300" };
    const round = keepLocally(gathering, host, point("/v1/a"));
    await keepLocally(gathering, host, point("/v1/b"));
    await keepLocally(gathering, host, point("/v1/c"));
    expect(await stored(host)).toBe(0);
    await round;
    expect(await stored(host)).toBe(3);
  });

  it("counts the points this isolate has not written yet when the dashboard asks", async () => {
    const host = `read-${crypto.randomUUID()}`;
    const gathering = { ...env, OPS_LOCAL_FLUSH_MS: "1000" };
    const round = keepLocally(gathering, host, point("/v1/a"));
    await keepLocally(gathering, host, point("/v1/a"));
    const figures = await new LocalSource(gathering, host).requestFigures(60);
    expect(figures.counts).toEqual([{ route: "/v1/a", method: "GET", status: 200, cache: "MISS", count: 2 }]);
    expect(await stored(host)).toBe(2);
    // The round's own write then finds nothing left to write.
    await round;
    expect(await stored(host)).toBe(2);
  });
});
