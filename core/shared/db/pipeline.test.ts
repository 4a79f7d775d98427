import { afterAll, beforeAll, beforeEach, describe, expect, it } from "bun:test";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { createDb, dropDatabase, ensureDatabase } from ".";
import { lockUntilCommit } from "./locks";
import { readAhead, sendAhead } from "./pipeline";
import { transact } from "./transaction";

interface Database {
  items: { id: number; label: string };
}

const database = `qc_pipeline_${crypto.randomUUID().slice(0, 8)}`;
const url = `postgres://postgres@127.0.0.1:5432/${database}`;

describe("pipelined statements", () => {
  // One connection: every transaction reuses it, so a statement left unanswered on it would show.
  let db: Kysely<Database>;

  beforeAll(async () => {
    await ensureDatabase(url);
    db = createDb<Database>({ url, schema: "public", poolMax: 1 });
    await sql`create table items (id int primary key, label text not null)`.execute(db);
  });
  beforeEach(() => sql`truncate items`.execute(db));
  afterAll(async () => {
    await db.destroy();
    await dropDatabase(url);
  });

  const labels = async () =>
    (await db.selectFrom("items").select("label").orderBy("id").execute()).map((row) => row.label);

  it("keeps a transaction whole with BEGIN sent ahead of its first statement", async () => {
    await transact(db, async (trx) => {
      await trx.insertInto("items").values({ id: 1, label: "a" }).execute();
      await trx.insertInto("items").values({ id: 2, label: "b" }).execute();
    });
    expect(await labels()).toEqual(["a", "b"]);

    // Had the first statement run outside the transaction (before its BEGIN), it would stay.
    const failing = transact(db, async (trx) => {
      await trx.insertInto("items").values({ id: 3, label: "c" }).execute();
      await trx.insertInto("items").values({ id: 1, label: "duplicate" }).execute();
    });
    await expect(failing).rejects.toMatchObject({ code: "23505" });
    expect(await labels()).toEqual(["a", "b"]);
  });

  it("holds a write sent ahead until the transaction's next statement, which waits for its answer", async () => {
    await db.insertInto("items").values({ id: 1, label: "before" }).execute();
    // Another session holds the row: once the write reaches Postgres, it blocks there on the lock.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    const blocked = async () =>
      (
        await holder.query(
          "select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'",
          [database],
        )
      ).rows[0].n as number;
    try {
      await holder.query("begin");
      await holder.query("select * from items where id = 1 for update");
      let blockedBeforeCommit = -1;
      let committed = false;
      const committing = transact(db, async (trx) => {
        await sendAhead(trx, trx.updateTable("items").set({ label: "after" }).where("id", "=", 1));
        // Returned, and Postgres has not seen the write (nor the BEGIN before it): both wait in the socket.
        blockedBeforeCommit = await blocked();
      }).then(() => {
        committed = true;
      });
      // They leave with the COMMIT: the write now waits on the lock, and the commit waits for its answer.
      for (let waited = 0; (await blocked()) === 0; waited += 20) {
        if (waited > 10_000) throw new Error("the write never reached Postgres");
        await Bun.sleep(20);
      }
      expect(blockedBeforeCommit).toBe(0);
      expect(committed).toBe(false);
      await holder.query("commit");
      await committing;
      expect(await labels()).toEqual(["after"]);
    } finally {
      await holder.end();
    }
  });

  it("fails the transaction with the error of a write sent ahead, leaving nothing of it", async () => {
    await db.insertInto("items").values({ id: 1, label: "kept" }).execute();
    const failing = transact(db, async (trx) => {
      await trx.insertInto("items").values({ id: 2, label: "undone" }).execute();
      await sendAhead(trx, trx.insertInto("items").values({ id: 1, label: "duplicate" }));
    });
    await expect(failing).rejects.toMatchObject({ code: "23505", table: "items" });
    expect(await labels()).toEqual(["kept"]);
    // The one connection is clean for the next transaction.
    await transact(db, (trx) => sendAhead(trx, trx.insertInto("items").values({ id: 3, label: "next" })));
    expect(await labels()).toEqual(["kept", "next"]);
  });

  it("waits for a write outside a transaction, where no later statement would report its failure", async () => {
    await db.insertInto("items").values({ id: 1, label: "kept" }).execute();
    await expect(
      sendAhead(db, db.insertInto("items").values({ id: 1, label: "duplicate" })),
    ).rejects.toMatchObject({ code: "23505" });
  });

  it("holds a lock sent ahead before the next statement runs, until the transaction ends", async () => {
    const other = createDb<Database>({ url, schema: "public", poolMax: 1 });
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    const advisory = async (granted: boolean) =>
      (
        await watcher.query(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and granted = $1",
          [granted],
        )
      ).rows[0].n as number;
    const until = async (what: string, ready: () => Promise<boolean>) => {
      for (let waited = 0; !(await ready()); waited += 20) {
        if (waited > 10_000) throw new Error(`never: ${what}`);
        await Bun.sleep(20);
      }
    };
    try {
      let release = () => {};
      const holding = transact(other, async (trx) => {
        await lockUntilCommit(trx, "order-1");
        await trx.insertInto("items").values({ id: 1, label: "first" }).execute();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      });
      await until("the first transaction holds the lock", async () => (await advisory(true)) === 1);
      // The second one waits on the lock in Postgres, its insert queued behind it on the same connection.
      const second = transact(db, async (trx) => {
        await lockUntilCommit(trx, "order-1");
        await trx.insertInto("items").values({ id: 2, label: "second" }).execute();
      });
      await until("the second transaction waits for the lock", async () => (await advisory(false)) === 1);
      release();
      await Promise.all([holding, second]);
      expect(await labels()).toEqual(["first", "second"]);
      expect(await advisory(true)).toBe(0);
    } finally {
      await watcher.end();
      await other.destroy();
    }
  });

  it("reads the answers of statements read ahead once a later one has gone out, each after the one before", async () => {
    await db.insertInto("items").values({ id: 1, label: "a" }).execute();
    const append = (trx: Kysely<Database>) =>
      trx
        .updateTable("items")
        .set({ label: sql`label || 'x'` })
        .where("id", "=", 1)
        .returning("label")
        .compile();
    await transact(db, async (trx) => {
      const first = await readAhead(trx, append(trx));
      const second = await readAhead(trx, append(trx));
      let answered = false;
      first.answer.then(() => {
        answered = true;
      });
      await Bun.sleep(50);
      // Still in the socket: nothing went out before a statement that is not read ahead.
      expect(answered).toBe(false);
      const last = await trx.executeQuery(append(trx));
      expect((await first.answer).rows).toEqual([{ label: "ax" }]);
      expect((await second.answer).rows).toEqual([{ label: "axx" }]);
      expect(last.rows).toEqual([{ label: "axxx" }]);
    });
    expect(await labels()).toEqual(["axxx"]);
  });

  it("fails the transaction, and the answer, of a statement read ahead that fails", async () => {
    await db.insertInto("items").values({ id: 1, label: "kept" }).execute();
    let answer: Promise<unknown> | undefined;
    const failing = transact(db, async (trx) => {
      ({ answer } = await readAhead(
        trx,
        trx.insertInto("items").values({ id: 1, label: "twice" }).compile(),
      ));
      await trx.insertInto("items").values({ id: 2, label: "undone" }).execute();
    });
    await expect(failing).rejects.toMatchObject({ code: "23505" });
    await expect(answer).rejects.toMatchObject({ code: "23505" });
    expect(await labels()).toEqual(["kept"]);
  });
});
