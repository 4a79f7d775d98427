import { afterAll, describe, expect, it } from "bun:test";
import pino from "pino";
import { startLagSampler } from "../../consumer/lag-sampler";
import { BROKERS } from "../../outbox/testing/fixture";
import { registry } from "../../telemetry/metrics";
import type { SubscribeOptions } from "../index";
import { createKafkaBus, deleteTopics } from "./index";

const prefix = `bb-lag-${crypto.randomUUID().slice(0, 8)}`;
const topic = `${prefix}.orders.events.v1`;
const group = `${prefix}-projection`;
const bus = createKafkaBus({ brokers: BROKERS, clientId: prefix });
const sampler = startLagSampler(bus, pino({ level: "silent" }), 100);
afterAll(async () => {
  await sampler.stop();
  await bus.disconnect();
  await deleteTopics(BROKERS, [topic]);
});

/** The exported gauge for our group, per partition, as Prometheus would scrape it. */
const exportedLag = async (): Promise<Record<string, number>> => {
  const gauge = await registry.getSingleMetric("kafka_consumer_lag")?.get();
  const ours = (gauge?.values ?? []).filter((sample) => sample.labels.group === group);
  return Object.fromEntries(ours.map((sample) => [String(sample.labels.partition), sample.value]));
};
const totalLag = async () => Object.values(await exportedLag()).reduce((sum, lag) => sum + lag, 0);

const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await exportedLag())}`);
    await Bun.sleep(100);
  }
};

const publish = (count: number) =>
  bus.publish(
    Array.from({ length: count }, (_, i) => ({ topic, key: `order-${i % 6}`, value: JSON.stringify({ i }) })),
  );

describe("consumer lag", () => {
  it("rises per partition while the group's consumer is stopped and falls back to zero once it runs again", async () => {
    await bus.ensureTopics([{ name: topic, partitions: 3 }]);
    let handled = 0;
    const options: SubscribeOptions = {
      groupId: group,
      topics: [topic],
      handle: async () => {
        handled += 1;
      },
    };

    let subscription = await bus.subscribe(options);
    await publish(12);
    await eventually(async () => handled >= 12, "the first 12 records");
    await eventually(
      async () => Object.keys(await exportedLag()).length === 3 && (await totalLag()) === 0,
      "zero lag on all three partitions",
    );

    await subscription.stop();
    await publish(30);
    await eventually(async () => (await totalLag()) === 30, "lag of 30 while stopped");
    const stopped = await exportedLag();
    expect(Object.keys(stopped).sort()).toEqual(["0", "1", "2"]);
    expect(Object.values(stopped).filter((lag) => lag > 0).length).toBeGreaterThan(1);

    subscription = await bus.subscribe(options);
    await eventually(async () => (await totalLag()) === 0, "lag back to zero after the restart");
    expect(handled).toBeGreaterThanOrEqual(42);
    await subscription.stop();
  }, 90_000);
});
