import type { Kysely } from "kysely";

// Test-only: the visible effect of a consumer, one row per handled message, in handling order.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("effects")
    .addColumn("n", "bigserial", (col) => col.primaryKey())
    .addColumn("message_id", "uuid", (col) => col.notNull())
    .addColumn("key", "text", (col) => col.notNull())
    .addColumn("handled_by", "text", (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("effects").execute();
}
