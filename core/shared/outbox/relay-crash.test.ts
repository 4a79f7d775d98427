import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { withPrefix } from "@qc/contracts";
import { sql } from "kysely";
import { startConsumer } from "../consumer/runner";
import {
  type Backbone,
  effects,
  enqueueCommitted,
  messagesFor,
  recordEffect,
  spawnRelayProcess,
  startBackbone,
  TOPIC,
  waitFor,
} from "./testing/fixture";

let backbone: Backbone;
beforeAll(async () => {
  backbone = await startBackbone("crash");
}, 30_000);
afterAll(() => backbone.close(), 30_000);

const publishedCount = async () => {
  const { rows } = await sql<{ count: number }>`
    select count(*)::int as count from outbox where published_at is not null`.execute(backbone.db);
  return rows[0]?.count ?? 0;
};

const spawnRelay = (killAfterPublish = 0) =>
  spawnRelayProcess(backbone, {
    RELAY_BATCH_SIZE: "500",
    RELAY_KILL_AFTER_PUBLISH: String(killAfterPublish),
  });

describe("outbox relay killed mid-batch", () => {
  it("publishes every committed row after a SIGKILL and restart, and the consumer applies each once", async () => {
    const messages = messagesFor(2_000, 50);
    await enqueueCommitted(backbone.db, messages, 250);

    const first = spawnRelay(2);
    await first.exited;
    expect(first.signalCode).toBe("SIGKILL");
    const atKill = await publishedCount();
    expect(atKill).toBe(500); // batch 1 committed; batch 2 reached Kafka but was never marked

    const second = spawnRelay();
    try {
      await waitFor(
        "the restarted relay to publish the rest",
        async () => (await publishedCount()) === messages.length,
      );
    } finally {
      second.kill("SIGTERM");
      await second.exited;
    }

    const consumer = await startConsumer(
      {
        groupId: `${backbone.topicPrefix}-crash`,
        topics: [TOPIC],
        handlers: { CartItemSet: recordEffect("crash") },
        concurrency: 6,
      },
      backbone,
    );
    await waitFor(
      "the consumer to apply every message",
      async () => (await effects(backbone.db)).length >= messages.length,
      60_000,
    );
    await Bun.sleep(500); // a duplicate still in flight would show up now
    await consumer.stop();

    const applied = await effects(backbone.db);
    expect(applied.length).toBe(messages.length);
    expect(new Set(applied.map((effect) => effect.message_id))).toEqual(new Set(messages.map((m) => m.id)));
    // At-least-once: the rows of the killed batch may be on the topic twice; the inbox made that harmless.
    const onTopic = await backbone.bus.readTopic(withPrefix(backbone.topicPrefix, TOPIC));
    expect(onTopic.length).toBeGreaterThanOrEqual(messages.length);
    console.log(
      `killed after ${atKill} rows marked; ${onTopic.length - messages.length} duplicate record(s) on the topic`,
    );
  }, 110_000);
});
