import { type Kysely, sql } from "kysely";

// The durable copy of each shopper's cart per store, behind Redis.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("carts")
    .addColumn("user_id", "uuid", (col) => col.notNull())
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("lines", "jsonb", (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("version", "bigint", (col) => col.notNull())
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("carts_pk", ["user_id", "store_id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("carts").execute();
}
