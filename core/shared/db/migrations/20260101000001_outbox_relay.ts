import { type Kysely, sql } from "kysely";

// What the outbox relay needs beyond the table: a NOTIFY on commit so it wakes within milliseconds instead
// of polling, and an index to fetch the unpublished rows of the keys it has locked. Raw SQL names resolve
// through the service's search_path, i.e. in the schema being migrated.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function outbox_notify() returns trigger language plpgsql as $$
    begin
      -- one channel for every schema; the payload says whose outbox grew (delivered at commit, deduplicated)
      perform pg_notify('qc_outbox', tg_table_schema);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger outbox_notify after insert on outbox
    for each statement execute function outbox_notify()`.execute(db);
  await db.schema
    .createIndex("outbox_unpublished_key")
    .on("outbox")
    .columns(["key", "seq"])
    .where(sql.ref("published_at"), "is", null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("outbox_unpublished_key").execute();
  await sql`drop trigger outbox_notify on outbox`.execute(db);
  await sql`drop function outbox_notify()`.execute(db);
}
