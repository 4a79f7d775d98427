import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { BROKERS } from "../../outbox/testing/fixture";
import { createKafkaBus, deleteTopics } from "./index";

const prefix = `bb-static-${crypto.randomUUID().slice(0, 8)}`;
const topic = `${prefix}.scratch`;
const bus = createKafkaBus({ brokers: BROKERS, clientId: prefix });
// Long enough that waiting it out cannot pass for a hand-over: a dynamic member's partitions stay with the
// SIGKILLed process until the broker gives up on it after this long.
const SESSION_MS = 40_000;
afterAll(async () => {
  await bus.disconnect();
  await deleteTopics(BROKERS, [topic]);
});

/** A member process; `seen` fills with the values it handled. */
function startMember(instanceId: string) {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "testing/member-process.ts")], {
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(","),
      MEMBER_GROUP: `${prefix}-group`,
      MEMBER_TOPIC: topic,
      MEMBER_SESSION_MS: String(SESSION_MS),
      MEMBER_INSTANCE_ID: instanceId,
    },
    stdout: "pipe",
    stderr: "inherit",
  });
  const seen: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of child.stdout) {
      buffered += decoder.decode(chunk);
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      seen.push(...lines);
    }
  })();
  return { child, seen };
}

const until = async (check: () => boolean, what: string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
};

describe("static group membership", () => {
  it("a member SIGKILLed and started again under its instance id takes its partitions straight back", async () => {
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const first = startMember("member-a");
    try {
      await until(() => first.seen.includes("subscribed"), "the first member", 30_000);
      await bus.publish([0, 1].map((i) => ({ topic, key: `k${i}`, value: `before-${i}` })));
      await until(
        () => first.seen.filter((v) => v.startsWith("before")).length === 2,
        "records before",
        30_000,
      );
    } finally {
      first.child.kill("SIGKILL");
      await first.child.exited;
    }

    const restarted = startMember("member-a");
    try {
      const started = performance.now();
      await bus.publish([0, 1].map((i) => ({ topic, key: `k${i}`, value: `after-${i}` })));
      // Both partitions: with a dynamic member they would stay with the dead process for the whole session.
      await until(
        () => restarted.seen.filter((v) => v.startsWith("after")).length === 2,
        "records after the restart",
        SESSION_MS,
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `static member back at work ${seconds.toFixed(2)} s after its restart (session ${SESSION_MS / 1000} s)`,
      );
      expect(seconds).toBeLessThan(SESSION_MS / 1000 / 2);
    } finally {
      restarted.child.kill("SIGTERM");
      await restarted.child.exited;
    }
  }, 120_000);
});
