import { type Kysely, sql } from "kysely";

// A store's own delivery fee; stores without a row pay the configured default.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("store_fees")
    .addColumn("store_id", "uuid", (col) => col.primaryKey())
    .addColumn("delivery_fee_minor", "bigint", (col) => col.notNull().check(sql`delivery_fee_minor >= 0`))
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("store_fees").execute();
}
