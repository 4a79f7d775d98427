import { type Kysely, sql } from "kysely";

// Store staff and riders belong to stores; their access tokens name them and core checks the path's store.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column store_ids uuid[] not null default '{}'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table users drop column store_ids`.execute(db);
}
