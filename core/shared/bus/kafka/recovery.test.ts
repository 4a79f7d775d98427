import { afterAll, describe, expect, it } from "bun:test";
import { type PrivateKafka, startPrivateKafka } from "../../../../scripts/infra/faults/kafka";
import type { Bus } from "../index";
import { createKafkaBus } from "./index";

const topic = "recovery.events.v1";
let kafka: PrivateKafka | undefined;
let bus: Bus | undefined;
afterAll(async () => {
  await bus?.disconnect().catch(() => {});
  await kafka?.destroy();
}, 60_000);

/** Publishes like the outbox relay does: on failure, try again shortly, until `timeoutMs` passes. */
async function publishPersistently(target: Bus, value: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await target.publish([{ topic, key: value, value }]);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await Bun.sleep(200);
    }
  }
}

async function until(check: () => boolean, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000}s`);
    await Bun.sleep(50);
  }
}

describe("kafka bus across a broker restart", () => {
  it("resumes every consumer group and publishes again once the broker is back", async () => {
    // A broker of this test's own: the shared one on 9092 is never stopped.
    kafka = await startPrivateKafka();
    bus = createKafkaBus({ brokers: kafka.brokers, clientId: "recovery-test" });
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const seen: Record<string, string[]> = { first: [], second: [] };
    for (const group of Object.keys(seen))
      await bus.subscribe({
        groupId: group,
        topics: [topic],
        handle: async (record) => {
          seen[group]?.push(record.value ?? "");
        },
      });
    await publishPersistently(bus, "before", 10_000);
    await until(
      () => Object.values(seen).every((values) => values.includes("before")),
      "both groups saw 'before'",
      30_000,
    );

    await kafka.stop();
    // Down long enough for the members' sessions and the client's reconnect attempts to run out.
    await Bun.sleep(12_000);
    // A publish while the broker is away fails (the relay retries it later), it never hangs for ever.
    const whileDown = await bus.publish([{ topic, key: "down", value: "down" }]).then(
      () => "published",
      () => "rejected",
    );
    await kafka.start();
    const restarted = performance.now();

    await publishPersistently(bus, "after", 60_000);
    const publishedMs = Math.round(performance.now() - restarted);
    await until(
      () => Object.values(seen).every((values) => values.includes("after")),
      "both groups saw 'after'",
      60_000,
    );
    const resumedMs = Math.round(performance.now() - restarted);
    console.log(
      `broker restart: publish while down ${whileDown}; published again after ${publishedMs} ms; both groups got a new record ${resumedMs} ms after the broker answered again`,
    );
    expect(resumedMs).toBeLessThan(60_000);
  }, 240_000);
});
