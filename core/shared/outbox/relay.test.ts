import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { withPrefix } from "@qc/contracts";
import { sql } from "kysely";
import { transact } from "../db/transaction";
import type { Stoppable } from "../runtime/context";
import { enqueue } from "./enqueue";
import { startRelay } from "./relay";
import {
  type Backbone,
  enqueueCommitted,
  idsByKey,
  messageFor,
  messagesFor,
  spawnRelayProcess,
  startBackbone,
  TOPIC,
  waitFor,
} from "./testing/fixture";

let backbone: Backbone;
const running: Stoppable[] = [];

beforeAll(async () => {
  backbone = await startBackbone("relay");
}, 30_000);
afterAll(async () => {
  await Promise.all(running.map((part) => part.stop()));
  await backbone.close();
}, 30_000);

const unpublished = async () => {
  const { rows } = await sql<{ count: number }>`
    select count(*)::int as count from outbox where published_at is null`.execute(backbone.db);
  return rows[0]?.count ?? -1;
};
/** The backends holding the schema's lead (one at most). */
const leaders = async () => {
  const { rows } = await sql<{ pid: number }>`
    select l.pid from pg_locks l
    where l.locktype = 'advisory' and l.granted and l.objid = 0 and l.objsubid = 2
      and l.classid = hashtext(${`${backbone.schema}.outbox`})::oid`.execute(backbone.db);
  return rows.map((row) => row.pid);
};
const relay = (options: Partial<Parameters<typeof startRelay>[0]> = {}) => {
  const started = startRelay({
    db: backbone.db,
    bus: backbone.bus,
    logger: backbone.logger,
    topicPrefix: backbone.topicPrefix,
    ...options,
  });
  running.push(started);
  return started;
};
const publishedRecords = async () =>
  (await backbone.bus.readTopic(withPrefix(backbone.topicPrefix, TOPIC))).map((record) => ({
    key: record.key ?? "",
    id: record.headers["message-id"] ?? "",
  }));

describe("outbox relay", () => {
  it("hears a commit made in a standby's process within milliseconds, not at the leader's 10 s poll", async () => {
    // The leader in a process of its own (a commit here wakes only this process's relays), this one standing by.
    const leader = spawnRelayProcess(backbone, { RELAY_IDLE_DELAY_MS: "10000" });
    try {
      await waitFor("the spawned relay to lead", async () => (await leaders()).length === 1, 15_000);
      const standby = relay({ idleDelayMs: 10_000 });
      await Bun.sleep(1_500); // the leader drains what is there and settles into its 10 s wait
      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const committedAt = performance.now();
        await transact(backbone.db, (trx) => enqueue(trx, messageFor(3)));
        await waitFor("the row to be published", async () => (await unpublished()) === 0, 15_000);
        latencies.push(performance.now() - committedAt);
        await Bun.sleep(200);
      }
      await standby.stop();
      expect(Math.max(...latencies)).toBeLessThan(1_000);
    } finally {
      leader.kill("SIGKILL");
      await leader.exited;
    }
  }, 60_000);

  it("publishes nothing for a rolled-back business transaction", async () => {
    const stopped = relay();
    const rolledBack = messageFor(1);
    const committed = messageFor(1);
    const attempt = backbone.db.transaction().execute(async (trx) => {
      await enqueue(trx, rolledBack);
      throw new Error("business rule failed");
    });
    await expect(attempt).rejects.toThrow("business rule failed");
    await backbone.db.transaction().execute((trx) => enqueue(trx, committed));
    await waitFor("the committed row to be published", async () => (await unpublished()) === 0);
    await stopped.stop();

    const ids = (await publishedRecords()).map((record) => record.id);
    expect(ids).toContain(committed.id);
    expect(ids).not.toContain(rolledBack.id);
  }, 30_000);

  it("wakes within milliseconds of a commit made with transact, not its 10 s poll", async () => {
    const stopped = relay({ idleDelayMs: 10_000 });
    await Bun.sleep(500); // let it drain and settle into its idle wait
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const committedAt = performance.now();
      await transact(backbone.db, (trx) => enqueue(trx, messageFor(2)));
      await waitFor("the row to be published", async () => (await unpublished()) === 0, 5_000);
      latencies.push(performance.now() - committedAt);
      await Bun.sleep(100);
    }
    // A commit made without transact wakes nobody: only the poll finds it.
    const unsignalled = performance.now();
    await backbone.db.transaction().execute((trx) => enqueue(trx, messageFor(2)));
    await waitFor("the unsignalled row to be published", async () => (await unpublished()) === 0, 15_000);
    const polled = performance.now() - unsignalled;
    await stopped.stop();
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    expect(polled).toBeGreaterThan(1_000);
  }, 40_000);

  it("lets two relays run at once: every row published once, every key in order", async () => {
    const messages = messagesFor(2_000, 20);
    await enqueueCommitted(backbone.db, messages);
    relay({ batchSize: 50 });
    relay({ db: backbone.connect(), bus: backbone.newBus("relay-b"), batchSize: 50 });
    await waitFor("the outbox to drain", async () => (await unpublished()) === 0);

    const ours = new Set(messages.map((message) => message.id));
    const published = (await publishedRecords()).filter((record) => ours.has(record.id));
    expect(published.length).toBe(messages.length);
    expect(new Set(published.map((record) => record.id)).size).toBe(messages.length);
    const expected = idsByKey(messages.map((message) => ({ key: message.subject, id: message.id })));
    expect(idsByKey(published)).toEqual(expected);
  }, 60_000);

  it("has one relay lead a schema, and a standby take over when the leader's session dies", async () => {
    relay({ batchSize: 50 });
    relay({ db: backbone.connect(), bus: backbone.newBus("relay-standby"), batchSize: 50 });
    const before = messagesFor(200, 10);
    await enqueueCommitted(backbone.db, before);
    await waitFor("the outbox to drain", async () => (await unpublished()) === 0);
    const [leader, ...others] = await leaders();
    expect(leader).toBeNumber();
    expect(others).toEqual([]);

    // The leader's connection is cut (a crashed instance, a network partition): the lead goes with it.
    await sql`select pg_terminate_backend(${leader})`.execute(backbone.db);
    const after = messagesFor(200, 10);
    await enqueueCommitted(backbone.db, after);
    await waitFor("the rows after the cut to be published", async () => (await unpublished()) === 0, 10_000);
    const [next] = await leaders();
    expect(next).not.toBe(leader);

    const ours = new Set([...before, ...after].map((message) => message.id));
    const published = (await publishedRecords()).filter((record) => ours.has(record.id));
    expect(new Set(published.map((record) => record.id)).size).toBe(ours.size);
    const expected = idsByKey(
      [...before, ...after].map((message) => ({ key: message.subject, id: message.id })),
    );
    expect(idsByKey(published)).toEqual(expected);
  }, 60_000);

  it("prunes published rows on its schedule", async () => {
    relay({ prune: { intervalMs: 100, retentionMs: 0 } });
    await enqueueCommitted(backbone.db, messagesFor(10, 2));
    await waitFor("the outbox to be pruned", async () => {
      const { rows } = await sql<{ count: number }>`select count(*)::int as count from outbox`.execute(
        backbone.db,
      );
      return rows[0]?.count === 0;
    });
  }, 30_000);
});
