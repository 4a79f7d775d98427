import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { authService } from "../../core/auth/main";
import { createKafkaBus } from "../../core/shared/bus/kafka";
import { testEnvironment } from "../../core/shared/testing/service";
import { type KafkaBroker, startKafka } from "./kafka";

const waitUntil = async (condition: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await Bun.sleep(200);
  }
  return false;
};

describe("the local Kafka broker", () => {
  it("delivers a produced message to a consumer group", async () => {
    const bus = createKafkaBus({ brokers: ["127.0.0.1:9092"], clientId: "infra-test" });
    const topic = `infra-test-${crypto.randomUUID()}`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const received: string[] = [];
    const subscription = await bus.subscribe({
      groupId: `infra-test-${crypto.randomUUID()}`,
      topics: [topic],
      handle: async (record) => {
        received.push(`${record.key}=${record.value}`);
      },
    });
    await bus.publish([{ topic, key: "order-1", value: "hello" }]);
    expect(await waitUntil(async () => received.length > 0, 20_000)).toBe(true);
    expect(received).toEqual(["order-1=hello"]);
    await subscription.stop();
    await bus.disconnect();
  });
});

describe("service readiness follows Kafka", () => {
  // A broker of this test's own, so stopping it disturbs nobody else.
  const port = 19_392;
  let broker: KafkaBroker;
  let env: Awaited<ReturnType<typeof testEnvironment>>;
  let readyUrl: string;

  beforeAll(async () => {
    broker = await startKafka({ port, dataDir: `/tmp/qc-kafka-ready-${process.pid}` });
    env = await testEnvironment({ env: { KAFKA_BROKERS: `127.0.0.1:${port}` } });
    readyUrl = `${(await env.start(authService)).url}/health/ready`;
  });
  afterAll(async () => {
    await env.stop();
    await broker.stop();
  });

  const status = async () => (await fetch(readyUrl)).status;

  it("is ready while the broker answers, unready once it stops, and ready again when it is back", async () => {
    expect(await status()).toBe(200);
    await broker.stop();
    expect(await waitUntil(async () => (await status()) === 503, 20_000)).toBe(true);
    const body = (await (await fetch(readyUrl)).json()) as { checks: Record<string, string> };
    expect(body.checks).toMatchObject({ kafka: "down", postgres: "up", redis: "up" });
    broker = await startKafka({ port, dataDir: `/tmp/qc-kafka-ready-${process.pid}` });
    expect(await waitUntil(async () => (await status()) === 200, 30_000)).toBe(true);
  }, 120_000);
});
