import { describe, expect, it } from "bun:test";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { withMessageSpan } from "./messaging";
import { currentScope } from "./scope";
import {
  currentTraceparent,
  extractContext,
  initTracing,
  injectTraceHeaders,
  useInMemoryTracing,
  withSpan,
} from "./tracing";

const exporter = useInMemoryTracing();
initTracing("tracing-a");
initTracing("tracing-b");
const finished = (name: string) => exporter.getFinishedSpans().find((span) => span.name === name);
const upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("tracing", () => {
  it("nests spans across awaits and timers in one trace", async () => {
    await withSpan("outer", { step: 1 }, async () => {
      await Bun.sleep(1);
      await new Promise((resolve) => setTimeout(resolve, 1));
      await withSpan("inner", {}, async () => Bun.sleep(1));
    });
    const outer = finished("outer");
    const inner = finished("inner");
    expect(inner?.spanContext().traceId).toBe(outer?.spanContext().traceId as string);
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId as string);
    expect(outer?.attributes.step).toBe(1);
  });

  it("marks a span as failed when its work throws, and rethrows", async () => {
    const failing = withSpan("failing", {}, async () => {
      throw new Error("boom");
    });
    await expect(failing).rejects.toThrow("boom");
    expect(finished("failing")?.status.code).toBe(2);
    expect(finished("failing")?.events[0]?.name).toBe("exception");
  });

  it("continues a trace from incoming headers and hands it on in outgoing ones", () => {
    const parent = extractContext({ traceparent: upstream }, ROOT_CONTEXT);
    const outgoing = withSpan("handler", {}, () => injectTraceHeaders({ "x-other": "kept" }), { parent });
    expect(outgoing["x-other"]).toBe("kept");
    expect(outgoing.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(outgoing.traceparent).not.toBe(upstream);
    expect(finished("handler")?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
  });

  it("has no traceparent outside any span", () => {
    expect(currentTraceparent()).toBeNull();
  });

  it("continues the producer's trace in a consumer, under the consuming service, with its scope", async () => {
    const producerTraceparent = withSpan("produce", {}, () => currentTraceparent(), { service: "tracing-a" });
    const message = {
      id: "0190d7a0-0000-7000-8000-000000000001",
      type: "OrderPlaced",
      subject: "order-9",
      correlationId: "req-9",
      traceparent: producerTraceparent,
      data: { orderId: "order-9" },
    };
    const scope = await withMessageSpan(
      { message, topic: "order.events.v1", group: "payment", service: "tracing-b" },
      async () => currentScope(),
    );
    expect(scope).toMatchObject({ service: "tracing-b", correlationId: "req-9", orderId: "order-9" });
    const produced = finished("produce");
    const consumed = finished("OrderPlaced process");
    expect(consumed?.spanContext().traceId).toBe(produced?.spanContext().traceId as string);
    expect(consumed?.parentSpanContext?.spanId).toBe(produced?.spanContext().spanId as string);
    expect(produced?.resource.attributes["service.name"]).toBe("tracing-a");
    expect(consumed?.resource.attributes["service.name"]).toBe("tracing-b");
    expect(consumed?.attributes["messaging.destination.name"]).toBe("order.events.v1");
  });
});
