import { type Kysely, sql } from "kysely";

// The relay is now woken in process after the commit (core/shared/outbox/wakeup.ts). A NOTIFY in the
// business transaction made Postgres serialise those commits on its global notify lock, so concurrent
// commits could not share an fsync: the trigger goes, the index of 20260101000001 stays.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists outbox_notify on outbox`.execute(db);
  await sql`drop function if exists outbox_notify()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create function outbox_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('qc_outbox', tg_table_schema);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger outbox_notify after insert on outbox
    for each statement execute function outbox_notify()`.execute(db);
}
