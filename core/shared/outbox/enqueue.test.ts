import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { beforeCommit, transact } from "../db/transaction";
import { enqueue, enqueueLatest } from "./enqueue";
import { type Backbone, messageFor, startBackbone } from "./testing/fixture";

let backbone: Backbone;

beforeAll(async () => {
  backbone = await startBackbone("enqueue");
}, 30_000);
afterAll(() => backbone.close(), 30_000);

const outbox = () => backbone.db.selectFrom("outbox").select(["id", "seq"]).orderBy("seq").execute();

describe("enqueue", () => {
  it("writes a transact transaction's messages together at its end, in call order, and nothing if it rolls back", async () => {
    await backbone.db.deleteFrom("outbox").execute();
    const messages = [messageFor(1, 1), messageFor(2, 1), messageFor(1, 2)];
    await transact(backbone.db, async (trx) => {
      for (const message of messages) await enqueue(trx, message);
      // Nothing is written while the transaction's work goes on.
      expect(await trx.selectFrom("outbox").select("id").execute()).toHaveLength(0);
    });
    expect((await outbox()).map((row) => row.id)).toEqual(messages.map((message) => message.id));

    await expect(
      transact(backbone.db, async (trx) => {
        await enqueue(trx, messageFor(3, 1));
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await outbox()).toHaveLength(3);
  });

  it("writes what a before-commit hook enqueues after the transaction's rows were gathered", async () => {
    await backbone.db.deleteFrom("outbox").execute();
    const [first, late] = [messageFor(6, 1), messageFor(7, 1)];
    await transact(backbone.db, async (trx) => {
      await enqueue(trx, first);
      // Registered after the outbox's own hook, so it runs once the first rows are written.
      beforeCommit(trx, () => enqueue(trx, late));
    });
    expect((await outbox()).map((row) => row.id)).toEqual([first.id, late.id]);
  });

  it("writes at once in a transaction transact did not open", async () => {
    await backbone.db.deleteFrom("outbox").execute();
    const message = messageFor(4, 1);
    await backbone.db.transaction().execute(async (trx) => {
      await enqueue(trx, message);
      expect(await trx.selectFrom("outbox").select("id").execute()).toEqual([{ id: message.id }]);
    });
  });
});

describe("enqueueLatest", () => {
  it("writes only the last message per key of a transaction", async () => {
    await backbone.db.deleteFrom("outbox").execute();
    const [first, second, third] = [messageFor(1, 1), messageFor(1, 2), messageFor(1, 3)];
    const other = messageFor(2, 1);
    await transact(backbone.db, async (trx) => {
      enqueueLatest(trx, [first, other]);
      enqueueLatest(trx, [second]);
      enqueueLatest(trx, [third]);
    });
    expect((await outbox()).map((row) => row.id).sort()).toEqual([third.id, other.id].sort());
  });

  it("keeps messages apart by the key it is given, and refuses a transaction transact did not open", async () => {
    await backbone.db.deleteFrom("outbox").execute();
    const [a, b] = [messageFor(4, 1), messageFor(4, 2)];
    await transact(backbone.db, async (trx) => {
      enqueueLatest(trx, [a], () => "a");
      enqueueLatest(trx, [b], () => "b");
    });
    expect(await outbox()).toHaveLength(2);
    await expect(
      backbone.db.transaction().execute(async (trx) => enqueueLatest(trx, [messageFor(5, 1)])),
    ).rejects.toThrow("transact");
  });
});
