import { afterAll, beforeAll, beforeEach, describe, expect, it } from "bun:test";
import { type Generated, type Kysely, type QueryCreator, sql } from "kysely";
import { createDb, dropDatabase, ensureDatabase } from ".";
import { prepared } from "./prepared";

interface Database {
  items: { id: number; label: string; seen_at: Date | null; note: Generated<string> };
}

const database = `qc_prepared_${crypto.randomUUID().slice(0, 8)}`;
const url = `postgres://postgres@127.0.0.1:5432/${database}`;

type Item = { id: number; label: string; seen_at: Date | null; note?: string };

describe("statements built once per shape", () => {
  let db: Kysely<Database>;

  beforeAll(async () => {
    await ensureDatabase(url);
    db = createDb<Database>({ url, schema: "public", poolMax: 1 });
    await sql`create table items (id int primary key, label text not null, seen_at timestamptz,
                                  note text not null default 'none')`.execute(db);
  });
  beforeEach(() => sql`truncate items`.execute(db));
  afterAll(async () => {
    await db.destroy();
    await dropDatabase(url);
  });

  let builds = 0;
  const upsert = (db: QueryCreator<Database>, args: { rows: Item[]; label: string }) => {
    builds++;
    return db
      .insertInto("items")
      .values(args.rows)
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ label: args.label }))
      .returning(["id", "label"]);
  };
  const preparedUpsert = prepared(upsert);

  it("writes the SQL and parameters Kysely writes, for each shape", () => {
    const shapes = [
      { rows: [{ id: 1, label: "a", seen_at: null }], label: "x" },
      {
        rows: [
          { id: 1, label: "a", seen_at: new Date(0) },
          { id: 2, label: "b", seen_at: null, note: "n" },
        ],
        label: "y",
      },
      { rows: [{ id: 3, label: "c", seen_at: null, note: undefined }], label: "z" },
    ];
    for (const args of shapes) {
      const plain = upsert(db, args).compile();
      const once = preparedUpsert(db, args);
      expect(once.sql).toBe(plain.sql);
      expect(once.parameters).toEqual(plain.parameters);
    }
  });

  it("builds a shape once and binds each call's values", async () => {
    const before = builds;
    const first = await db.executeQuery(
      preparedUpsert(db, { rows: [{ id: 7, label: "seven", seen_at: null }], label: "-" }),
    );
    const at = new Date("2026-12-07T10:00:00Z");
    const second = await db.executeQuery(
      preparedUpsert(db, { rows: [{ id: 8, label: "eight", seen_at: at }], label: "-" }),
    );
    const third = await db.executeQuery(
      preparedUpsert(db, { rows: [{ id: 7, label: "ignored", seen_at: null }], label: "again" }),
    );
    expect(builds - before).toBeLessThanOrEqual(1);
    expect([first.rows, second.rows, third.rows]).toEqual([
      [{ id: 7, label: "seven" }],
      [{ id: 8, label: "eight" }],
      [{ id: 7, label: "again" }],
    ]);
    const stored = await db.selectFrom("items").select(["id", "seen_at"]).orderBy("id").execute();
    expect(stored).toEqual([
      { id: 7, seen_at: null },
      { id: 8, seen_at: at },
    ]);
  });

  it("leaves an undefined value to Kysely: the column's default, not a NULL", async () => {
    await db.executeQuery(
      preparedUpsert(db, {
        rows: [
          { id: 1, label: "a", seen_at: null, note: "given" },
          { id: 2, label: "b", seen_at: null, note: undefined },
        ],
        label: "-",
      }),
    );
    const notes = await db.selectFrom("items").select("note").orderBy("id").execute();
    expect(notes.map((row) => row.note)).toEqual(["given", "none"]);
  });

  it("writes a null into the SQL where Kysely would (is null), so a null is part of the shape", async () => {
    await db
      .insertInto("items")
      .values([
        { id: 1, label: "a", seen_at: null },
        { id: 2, label: "b", seen_at: new Date(0) },
      ])
      .execute();
    const seen = prepared((db: QueryCreator<Database>, args: { at: Date | null }) =>
      db.selectFrom("items").select("id").where("seen_at", "is not", args.at),
    );
    expect((await db.executeQuery(seen(db, { at: null }))).rows).toEqual([{ id: 2 }]);
    const plain = db.selectFrom("items").select("id").where("seen_at", "is not", null).compile();
    expect(seen(db, { at: null }).sql).toBe(plain.sql);
  });

  it("builds a statement past the cached size each time, with the same SQL", async () => {
    const rows = Array.from({ length: 90 }, (_, i) => ({ id: i + 1, label: `l${i}`, seen_at: null }));
    const before = builds;
    for (const label of ["x", "y"]) {
      const once = preparedUpsert(db, { rows, label });
      const plain = upsert(db, { rows, label }).compile();
      expect(once.sql).toBe(plain.sql);
      expect(once.parameters).toEqual(plain.parameters);
      await db.executeQuery(once);
    }
    // 271 parameters, past the 256 kept: both prepared calls build, as both plain ones do.
    expect(builds - before).toBe(4);
    expect(await db.selectFrom("items").select(db.fn.countAll().as("n")).executeTakeFirst()).toEqual({
      n: 90,
    });
  });

  it("keeps the builder's own constants", async () => {
    await db
      .insertInto("items")
      .values([
        { id: 1, label: "a", seen_at: null },
        { id: 2, label: "b", seen_at: null },
      ])
      .execute();
    const first = prepared((db: QueryCreator<Database>, args: { after: number }) =>
      db.selectFrom("items").select("id").where("id", ">", args.after).orderBy("id").limit(1),
    );
    expect((await db.executeQuery(first(db, { after: 0 }))).rows).toEqual([{ id: 1 }]);
    expect((await db.executeQuery(first(db, { after: 1 }))).rows).toEqual([{ id: 2 }]);
  });

  it("refuses a builder that computes with its values, which would freeze the result into every call", () => {
    const computing = prepared((db: QueryCreator<Database>, args: { label: string }) =>
      db.updateTable("items").set({ label: `${args.label}!` }),
    );
    const stringifying = prepared((db: QueryCreator<Database>, args: { label: string }) =>
      db.updateTable("items").set({ label: JSON.stringify(args.label) }),
    );
    expect(() => computing(db, { label: "a" })).toThrow(/computed with its argument at label/);
    expect(() => stringifying(db, { label: "a" })).toThrow(/computed with its argument at label/);
  });
});
