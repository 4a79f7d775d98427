import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import pino from "pino";
import { createDb, ensureDatabase } from "../db";
import { migrateSchema } from "../db/migrate";
import { INBOX_RETENTION_MS, pruneInbox, startInboxPrune } from "./inbox-prune";

const DATABASE_URL =
  process.env.BACKBONE_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/quickcommerce_backbone_test";
const DAY_MS = 24 * 60 * 60 * 1000;
const schema = `bb_inbox_prune_${crypto.randomUUID().slice(0, 8)}`;
let db: Kysely<any>;

beforeAll(async () => {
  await ensureDatabase(DATABASE_URL);
  db = createDb<any>({ url: DATABASE_URL, schema, poolMax: 2 });
  // The shared migrations only (outbox, inbox): this service has none of its own.
  await migrateSchema(db, schema, mkdtempSync(join(tmpdir(), "qc-migrations-")));
});
afterAll(async () => {
  await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
  await db.destroy();
});

const receivedDaysAgo = (days: number, count: number, group = "projection") =>
  db
    .insertInto("inbox")
    .values(
      Array.from({ length: count }, () => ({
        consumer_group: group,
        message_id: Bun.randomUUIDv7(),
        type: "OrderPlaced",
        received_at: new Date(Date.now() - days * DAY_MS),
      })),
    )
    .execute();
const remaining = async () =>
  Number(
    (
      await db
        .selectFrom("inbox")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("inbox pruning", () => {
  it("keeps rows for longer than any copy of their message can come back (topic, dead letter, replay)", () => {
    // 7-day topics, 14-day dead letters: a replayed dead letter may come back up to 28 days later.
    expect(INBOX_RETENTION_MS).toBeGreaterThanOrEqual(28 * DAY_MS);
  });

  it("deletes rows older than the retention in chunks and keeps the younger ones", async () => {
    await receivedDaysAgo(40, 120);
    await receivedDaysAgo(30, 30, "other-group");
    await receivedDaysAgo(20, 25);
    await receivedDaysAgo(0, 5);
    const deleted = await pruneInbox(db, new Date(Date.now() - INBOX_RETENTION_MS), 50);
    expect(deleted).toBe(150);
    expect(await remaining()).toBe(30);
  });

  it("runs on a schedule started with the service, until stopped", async () => {
    await receivedDaysAgo(2, 10);
    const prune = startInboxPrune(db, pino({ level: "silent" }), { intervalMs: 50, retentionMs: DAY_MS });
    const deadline = Date.now() + 5_000;
    while ((await remaining()) > 5 && Date.now() < deadline) await Bun.sleep(50);
    await prune.stop();
    expect(await remaining()).toBe(5);
  });
});
