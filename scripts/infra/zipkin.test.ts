import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { flushTracing, initTracing, withSpan } from "../../core/shared/telemetry/tracing";
import { startZipkin, type ZipkinServer } from "./zipkin";

describe("Zipkin", () => {
  let zipkin: ZipkinServer;
  beforeAll(async () => {
    zipkin = await startZipkin({ port: 19411 });
  }, 120_000);
  afterAll(() => zipkin?.stop());

  it("receives the spans a Bun process exports and serves them as one trace", async () => {
    const service = `zipkin-probe-${crypto.randomUUID().slice(0, 8)}`;
    initTracing(service, { zipkinUrl: zipkin.spansUrl });
    const traceId = await withSpan(
      "checkout",
      { orderId: "order-1" },
      async (span) => {
        await withSpan("reserve stock", {}, async () => Bun.sleep(5));
        return span.spanContext().traceId;
      },
      { service },
    );
    await flushTracing();

    let spans: { traceId: string; name: string; localEndpoint: { serviceName: string } }[][] = [];
    for (let attempt = 0; attempt < 20 && spans.length === 0; attempt++) {
      const response = await fetch(`${zipkin.url}/api/v2/traces?serviceName=${service}`);
      spans = (await response.json()) as typeof spans;
      if (spans.length === 0) await Bun.sleep(250);
    }
    expect(spans).toHaveLength(1);
    const trace = spans[0] ?? [];
    expect(trace.map((span) => span.name).sort()).toEqual(["checkout", "reserve stock"]);
    expect(trace.every((span) => span.traceId === traceId)).toBe(true);
    expect(trace[0]?.localEndpoint.serviceName).toBe(service);
  }, 30_000);
});
