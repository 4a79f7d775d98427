import { type Kysely, sql } from "kysely";

// Stores (learned from catalog events), their riders, deliveries and shopper notifications.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("stores")
    .addColumn("store_id", "uuid", (col) => col.primaryKey())
    .addColumn("name", "text", (col) => col.notNull())
    .addColumn("lat", "float8", (col) => col.notNull())
    .addColumn("lng", "float8", (col) => col.notNull())
    .addColumn("service_radius_meters", "integer", (col) => col.notNull())
    .addColumn("active", "boolean", (col) => col.notNull())
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("riders")
    .addColumn("rider_id", "uuid", (col) => col.primaryKey())
    .addColumn("store_id", "uuid", (col) => col.notNull().references("stores.store_id"))
    .addColumn("name", "text", (col) => col.notNull())
    .addColumn("user_id", "uuid", (col) => col.unique())
    .addColumn("lat", "float8", (col) => col.notNull())
    .addColumn("lng", "float8", (col) => col.notNull())
    .addColumn("status", "text", (col) =>
      col.notNull().defaultTo("FREE").check(sql`status in ('FREE', 'BUSY')`),
    )
    .addColumn("active", "boolean", (col) => col.notNull().defaultTo(true))
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("riders_free_by_store")
    .on("riders")
    .column("store_id")
    .where(sql.ref("status"), "=", "FREE")
    .execute();

  await db.schema
    .createTable("deliveries")
    .addColumn("delivery_id", "uuid", (col) => col.primaryKey())
    .addColumn("order_id", "uuid", (col) => col.notNull().unique())
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("rider_id", "uuid", (col) => col.references("riders.rider_id"))
    .addColumn("status", "text", (col) =>
      col
        .notNull()
        .check(
          sql`status in ('PENDING_RIDER', 'ASSIGNED', 'PICKED_UP', 'OUT_FOR_DELIVERY', 'DELIVERED', 'FAILED', 'CANCELLED')`,
        ),
    )
    // Null only on a tombstone: a cancel that arrived before (or instead of) its CreateDelivery.
    .addColumn("address_line1", "text")
    .addColumn("lat", "float8")
    .addColumn("lng", "float8")
    .addColumn("eta_minutes", "integer")
    .addColumn("assign_deadline", "timestamptz")
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("deliveries_waiting")
    .on("deliveries")
    .columns(["store_id", "created_at"])
    .where(sql.ref("status"), "=", "PENDING_RIDER")
    .execute();
  // A rider carries one order at a time.
  await db.schema
    .createIndex("deliveries_one_per_rider")
    .on("deliveries")
    .column("rider_id")
    .unique()
    .where(sql.ref("status"), "in", ["ASSIGNED", "PICKED_UP", "OUT_FOR_DELIVERY"])
    .execute();

  await db.schema
    .createTable("notifications")
    .addColumn("id", "bigserial", (col) => col.primaryKey())
    .addColumn("message_id", "uuid", (col) => col.notNull().unique())
    .addColumn("order_id", "uuid", (col) => col.notNull())
    .addColumn("user_id", "uuid")
    .addColumn("kind", "text", (col) => col.notNull())
    .addColumn("body", "text", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("notifications_by_order").on("notifications").column("order_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["notifications", "deliveries", "riders", "stores"]) {
    await db.schema.dropTable(table).execute();
  }
}
