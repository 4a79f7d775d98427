import { type Kysely, sql } from "kysely";

// Stock per (store, SKU) and the reservations that hold part of it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("stock")
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("sku", "text", (col) => col.notNull())
    .addColumn("on_hand", "integer", (col) => col.notNull())
    .addColumn("reserved", "integer", (col) => col.notNull().defaultTo(0))
    // Net units ever received (adjustments included) and units sold: received = on_hand + sold always.
    .addColumn("received", "integer", (col) => col.notNull())
    .addColumn("sold", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("stock_pk", ["store_id", "sku"])
    .addCheckConstraint("stock_reserved_nonnegative", sql`reserved >= 0`)
    .addCheckConstraint("stock_available_nonnegative", sql`on_hand - reserved >= 0`)
    .addCheckConstraint("stock_sold_nonnegative", sql`sold >= 0`)
    .addCheckConstraint("stock_conservation", sql`received = on_hand + sold`)
    .execute();

  await db.schema
    .createTable("reservations")
    .addColumn("order_id", "uuid", (col) => col.primaryKey())
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("lines", "jsonb", (col) => col.notNull())
    .addColumn("status", "text", (col) =>
      col.notNull().check(sql`status in ('RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED')`),
    )
    .addColumn("expires_at", "timestamptz", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("reservations_live_by_expiry")
    .on("reservations")
    .column("expires_at")
    .where(sql.ref("status"), "=", "RESERVED")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("reservations").execute();
  await db.schema.dropTable("stock").execute();
}
