import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { transact } from "../db/transaction";
import { enqueueLatest } from "./enqueue-latest";
import { type Backbone, messageFor, startBackbone } from "./testing/fixture";

let backbone: Backbone;

beforeAll(async () => {
  backbone = await startBackbone("latest");
}, 30_000);
afterAll(() => backbone.close(), 30_000);

const outbox = () =>
  backbone.db.selectFrom("outbox").select(["id", "key"]).orderBy("seq").execute() as Promise<
    { id: string; key: string }[]
  >;

describe("enqueueLatest", () => {
  it("writes only the last message per key of a transaction, at its end, and nothing if it rolls back", async () => {
    const [first, second, third] = [messageFor(1, 1), messageFor(1, 2), messageFor(1, 3)];
    const other = messageFor(2, 1);
    await transact(backbone.db, async (trx) => {
      enqueueLatest(trx, [first, other]);
      enqueueLatest(trx, [second]);
      // Nothing is written while the transaction's work goes on.
      expect(await trx.selectFrom("outbox").select("id").execute()).toHaveLength(0);
      enqueueLatest(trx, [third]);
    });
    expect((await outbox()).map((row) => row.id).sort()).toEqual([third.id, other.id].sort());

    await expect(
      transact(backbone.db, async (trx) => {
        enqueueLatest(trx, [messageFor(3, 1)]);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await outbox()).toHaveLength(2);
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
