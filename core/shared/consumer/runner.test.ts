import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test";
import { type AnyMessage, withPrefix } from "@qc/contracts";
import { listDeadLetters, replayDeadLetters } from "../../tooling/dlq/dead-letters";
import type { OutgoingRecord } from "../bus";
import {
  type Backbone,
  effects,
  idsByKey,
  messageFor,
  messagesFor,
  recordEffect,
  startBackbone,
  TOPIC,
  waitFor,
} from "../outbox/testing/fixture";
import { BrokenCircuitError } from "../resilience";
import type { Stoppable } from "../runtime/context";
import { type ConsumerOptions, type MessageHandler, startConsumer } from "./runner";

let backbone: Backbone;
const running: Stoppable[] = [];
beforeAll(async () => {
  backbone = await startBackbone("consumer");
}, 30_000);
afterAll(async () => {
  await Promise.allSettled(running.map((part) => part.stop()));
  await backbone.close();
}, 30_000);

const topic = () => withPrefix(backbone.topicPrefix, TOPIC);
const recordOf = (message: AnyMessage, headers: Record<string, string> = {}): OutgoingRecord => ({
  topic: topic(),
  key: message.subject,
  value: JSON.stringify(message),
  headers: { "message-id": message.id, ...headers },
});
const consume = async (
  groupId: string,
  handler: MessageHandler,
  options: Partial<ConsumerOptions> = {},
  bus = backbone.bus,
) => {
  const consumer = await startConsumer(
    { groupId, topics: [TOPIC], handlers: { CartItemSet: handler }, ...options },
    { ...backbone, bus },
  );
  running.push(consumer);
  return consumer;
};
const effectsOf = async (id: string) =>
  (await effects(backbone.db)).filter((e) => e.message_id === id).length;
// Every test's groups read the same topic: stop them so a later test sees only its own effects.
afterEach(async () => {
  await Promise.all(running.splice(0).map((part) => part.stop()));
}, 30_000);

describe("consumer runner", () => {
  it("applies a message delivered twice only once", async () => {
    await consume(`${backbone.topicPrefix}-dup`, recordEffect("dup"));
    const twice = messageFor(1);
    const after = messageFor(1);
    await backbone.bus.publish([recordOf(twice), recordOf(twice), recordOf(after)]);
    await waitFor("the message after the duplicate", async () => (await effectsOf(after.id)) === 1);
    expect(await effectsOf(twice.id)).toBe(1);
  }, 30_000);

  it("with effects only in the transaction, writes the inbox last and still applies each message once", async () => {
    await consume(`${backbone.topicPrefix}-dup-last`, recordEffect("dup-last"), {
      effectsInTransaction: true,
    });
    const once = messageFor(1);
    const twice = messageFor(2);
    await backbone.bus.publish([recordOf(once), recordOf(twice), recordOf(twice)]);
    await waitFor("the first batch", async () => (await effectsOf(twice.id)) === 1);
    // Redelivered beside a fresh message, in a later batch: its inbox row is there, so that batch rolls back
    // whole and its messages are handled again one by one.
    const fresh = messageFor(3);
    await backbone.bus.publish([recordOf(once), recordOf(fresh)]);
    await waitFor("the fresh message", async () => (await effectsOf(fresh.id)) === 1);
    expect(await effectsOf(once.id)).toBe(1);
    expect(await effectsOf(twice.id)).toBe(1);
  }, 30_000);

  it("neither prepares nor applies again a prepared message redelivered beside a fresh one", async () => {
    const prepared: string[] = [];
    const appliedWith: [string, unknown][] = [];
    const record = recordEffect("prepared");
    const handlers = {
      CartItemSet: {
        prepare: async (message: AnyMessage) => {
          prepared.push(message.id);
          return `outcome of ${message.id}`;
        },
        apply: async (trx: Parameters<MessageHandler>[0], message: AnyMessage, outcome: unknown) => {
          appliedWith.push([message.id, outcome]);
          await record(trx, message);
        },
      },
    };
    running.push(
      await startConsumer(
        {
          groupId: `${backbone.topicPrefix}-prepared`,
          topics: [TOPIC],
          handlers,
          effectsInTransaction: true,
        },
        { ...backbone },
      ),
    );
    const once = messageFor(4);
    await backbone.bus.publish([recordOf(once)]);
    await waitFor("the first message", async () => (await effectsOf(once.id)) === 1);
    const fresh = messageFor(4);
    await backbone.bus.publish([recordOf(once), recordOf(fresh)]);
    await waitFor("the fresh message", async () => (await effectsOf(fresh.id)) === 1);
    expect(await effectsOf(once.id)).toBe(1);
    expect(prepared.filter((id) => id === once.id)).toHaveLength(1);
    // Every apply had its prepare's outcome (the group also reads the topic's earlier messages): the
    // redelivered message was not applied again without one.
    expect(appliedWith.filter(([, outcome]) => outcome === undefined)).toEqual([]);
    expect(appliedWith.filter(([id]) => id === once.id || id === fresh.id)).toEqual([
      [once.id, `outcome of ${once.id}`],
      [fresh.id, `outcome of ${fresh.id}`],
    ]);
  }, 30_000);

  it("runs a live group's effects without inbox rows, from the newest offset for a new group", async () => {
    const before = messageFor(7);
    await backbone.bus.publish([recordOf(before)]);
    const pushed: string[] = [];
    const group = `${backbone.topicPrefix}-live`;
    const handlers = {
      CartItemSet: {
        prepare: async (message: AnyMessage) => {
          pushed.push(message.id);
        },
        apply: async () => {},
      },
    };
    running.push(
      await startConsumer({ groupId: group, topics: [TOPIC], handlers, live: true }, { ...backbone }),
    );
    // The group takes its partitions a moment after it started: publish until a message is seen.
    await waitFor("a message published after the group joined", async () => {
      await backbone.bus.publish([recordOf(messageFor(7))]);
      await Bun.sleep(200);
      return pushed.length > 0;
    });
    // What was on the topic before the group existed is history, not news; and nothing was written for it.
    expect(pushed).not.toContain(before.id);
    const inbox = await backbone.db
      .selectFrom("inbox")
      .select("message_id")
      .where("consumer_group", "=", group)
      .execute();
    expect(inbox).toEqual([]);
  }, 30_000);

  it("waits for a peer behind an open breaker instead of dead-lettering, then applies the message once", async () => {
    let refusals = 0;
    const handler: MessageHandler = async (trx, message) => {
      // Our own breaker refuses five times: more than the three attempts a failing message gets.
      if (refusals < 5) {
        refusals++;
        throw new BrokenCircuitError();
      }
      await recordEffect("peer")(trx, message);
    };
    await consume(`${backbone.topicPrefix}-peer`, handler, { retry: { attempts: 3, initialDelayMs: 50 } });
    const message = messageFor(3);
    await backbone.bus.publish([recordOf(message)]);
    await waitFor(
      "the message applied once the peer is back",
      async () => (await effectsOf(message.id)) === 1,
    );
    expect(refusals).toBe(5);
    const letters = await listDeadLetters(backbone.bus, TOPIC, backbone.topicPrefix);
    expect(letters.filter((letter) => letter.messageId === message.id)).toHaveLength(0);
  }, 30_000);

  it("dead-letters poison with its error and keeps consuming; a replayed dead letter is processed", async () => {
    const failing = new Set<string>();
    const handler: MessageHandler = async (trx, message) => {
      if (failing.has(message.id)) throw new Error("stock service unavailable");
      await recordEffect("dlq")(trx, message);
    };
    const group = `${backbone.topicPrefix}-dlq`;
    const unlucky = messageFor(2);
    const good = messageFor(2);
    failing.add(unlucky.id);
    const invalidData = { ...messageFor(2), data: { sku: "not a valid sku!" } };
    await backbone.bus.publish([
      { topic: topic(), key: "garbage", value: "{not json" },
      recordOf(invalidData as AnyMessage),
      recordOf(unlucky, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
      recordOf(good),
    ]);
    await consume(group, handler, { retry: { attempts: 3, initialDelayMs: 20, multiplier: 2 } });
    await waitFor("the good message after the poison", async () => (await effectsOf(good.id)) === 1);

    let letters = await listDeadLetters(backbone.bus, TOPIC, backbone.topicPrefix);
    await waitFor("three dead letters", async () => {
      letters = await listDeadLetters(backbone.bus, TOPIC, backbone.topicPrefix);
      return letters.length === 3;
    });
    // The three sit on different partitions of the source topic, so they reach the DLQ in any order.
    const garbage = letters.find((letter) => letter.key === "garbage");
    const invalid = letters.find((letter) => letter.messageId === invalidData.id);
    const failed = letters.find((letter) => letter.messageId === unlucky.id);
    expect(garbage).toMatchObject({ key: "garbage", attempts: 0, group, type: null });
    expect(garbage?.error).toContain("JSON");
    expect(invalid).toMatchObject({ messageId: invalidData.id, attempts: 0, type: "CartItemSet" });
    expect(invalid?.error).toContain("CartItemSet");
    expect(failed).toMatchObject({ messageId: unlucky.id, attempts: 3, error: "stock service unavailable" });
    // Only the failing message: those that shared its batch (this test's and earlier ones') were applied.
    expect(await effectsOf(good.id)).toBe(1);
    const raw = await backbone.bus.readTopic(withPrefix(backbone.topicPrefix, `${TOPIC}.dlq`));
    const failedRaw = raw.find((record) => record.offset === failed?.offset);
    expect(failedRaw?.headers.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(failedRaw?.headers["dlq-original-topic"]).toBe(topic());
    expect(await effectsOf(unlucky.id)).toBe(0);

    // The cause is fixed; replaying it (twice, by mistake) applies it exactly once.
    failing.delete(unlucky.id);
    await replayDeadLetters(
      backbone.bus,
      TOPIC,
      [failed?.offset ?? "", failed?.offset ?? ""],
      backbone.topicPrefix,
    );
    await replayDeadLetters(backbone.bus, TOPIC, [failed?.offset ?? ""], backbone.topicPrefix);
    const marker = messageFor(2);
    await backbone.bus.publish([recordOf(marker)]);
    await waitFor("the replayed message", async () => (await effectsOf(marker.id)) === 1);
    expect(await effectsOf(unlucky.id)).toBe(1);
  }, 60_000);

  it("keeps every key in order across two consumers and a rebalance in the middle", async () => {
    const group = `${backbone.topicPrefix}-order`;
    const slowly =
      (name: string): MessageHandler =>
      async (trx, message) => {
        await Bun.sleep(1);
        await recordEffect(name)(trx, message);
      };
    const a = await consume(group, slowly("a"), {}, backbone.newBus("a"));
    await consume(group, slowly("b"), {}, backbone.newBus("b"));
    const messages = messagesFor(1_200, 30);
    const ours = new Set(messages.map((m) => m.id));
    const handled = async () =>
      (await effects(backbone.db)).filter((e) => ours.has(e.message_id) && "abc".includes(e.handled_by));
    for (let i = 0; i < messages.length; i += 100) {
      await backbone.bus.publish(messages.slice(i, i + 100).map((m) => recordOf(m)));
      if (i === 300) await consume(group, slowly("c"), {}, backbone.newBus("c"));
      if (i === 700) await a.stop();
      await Bun.sleep(200);
    }
    await waitFor("every message", async () => (await handled()).length >= messages.length, 60_000);

    const applied = await handled();
    expect(applied.length).toBe(messages.length);
    expect(new Set(applied.map((e) => e.handled_by)).size).toBeGreaterThanOrEqual(2);
    expect(idsByKey(applied.map((e) => ({ key: e.key, id: e.message_id })))).toEqual(
      idsByKey(messages.map((m) => ({ key: m.subject, id: m.id }))),
    );
  }, 100_000);
});
