import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { createLogger } from "../telemetry/logger";
import { QueueUnavailableError } from "./index";
import { createRabbitQueue } from "./rabbitmq";

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
});
