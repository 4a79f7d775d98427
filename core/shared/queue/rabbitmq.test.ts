import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { loadConfig } from "../config";
import { createLogger } from "../telemetry/logger";
import { inScope } from "../telemetry/scope";
import { currentTraceId, initTracing, SpanKind, withSpan } from "../telemetry/tracing";
import { QueueUnavailableError } from "./index";
import { createRabbitQueue, deleteDeclaredQueues } from "./rabbitmq";

describe("work queues on RabbitMQ", () => {
  it("answers a take with QueueUnavailableError within seconds when the broker cannot be reached", async () => {
    // Nothing listens on port 1: the connection keeps retrying, a caller waits at most the acquire timeout.
    const queue = createRabbitQueue({
      url: "amqp://guest:guest@127.0.0.1:1",
      prefix: `t${crypto.randomUUID().slice(0, 8)}`,
      logger: createLogger("queue-test", "silent"),
    });
    const family = queue.workQueues({
      name: "pick",
      schema: z.object({ id: z.string() }),
      retryDelayMs: 100,
    });
    const started = performance.now();
    const error = await family.take("store").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(performance.now() - started).toBeLessThan(6_000);
    const published = await family.publish("store", { id: "a" }, { messageId: "a" }).catch((e: unknown) => e);
    expect(published).toBeInstanceOf(QueueUnavailableError);
    await Promise.race([queue.close(), Bun.sleep(1_000)]);
  }, 20_000);

  it("carries the publisher's traceparent and the order's baggage in the item's AMQP headers, across a retry", async () => {
    initTracing("queue-test");
    const { RABBITMQ_URL: url } = loadConfig();
    const prefix = `t${crypto.randomUUID().slice(0, 8)}`;
    const queue = createRabbitQueue({ url, prefix, logger: createLogger("queue-test", "silent") });
    const family = queue.workQueues({
      name: "pick",
      schema: z.object({ id: z.string() }),
      retryDelayMs: 100,
    });
    const orderId = crypto.randomUUID();
    try {
      const traceId = await inScope({ orderId }, () =>
        withSpan(
          "publish",
          {},
          async () => {
            await family.publish("store", { id: "a" }, { messageId: "a" });
            return currentTraceId();
          },
          { kind: SpanKind.PRODUCER },
        ),
      );
      const first = await family.take("store");
      expect(first?.trace.traceparent).toStartWith(`00-${traceId}-`);
      expect(first?.trace.baggage).toBe(`orderId=${orderId}`);
      await first?.retryLater();
      let again = null;
      for (let i = 0; i < 50 && !again; i++) {
        again = await family.take("store");
        if (!again) await Bun.sleep(50);
      }
      expect(again).toMatchObject({ attempt: 2, trace: first?.trace });
      await again?.ack();
    } finally {
      await queue.close();
      await deleteDeclaredQueues(url, prefix);
    }
  }, 20_000);
});
