import { type Kysely, sql } from "kysely";

// The order aggregate's event store, its two projections, the saga instances and the idempotency keys.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("order_events")
    .addColumn("order_id", "uuid", (col) => col.notNull())
    .addColumn("version", "integer", (col) => col.notNull())
    .addColumn("type", "text", (col) => col.notNull())
    .addColumn("data", "jsonb", (col) => col.notNull())
    .addColumn("occurred_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("order_events_pk", ["order_id", "version"])
    .execute();

  await db.schema
    .createTable("orders")
    .addColumn("order_id", "uuid", (col) => col.primaryKey())
    .addColumn("user_id", "uuid", (col) => col.notNull())
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("status", "text", (col) => col.notNull())
    .addColumn("reason", "text")
    .addColumn("total_minor", "bigint", (col) => col.notNull())
    .addColumn("currency", "text", (col) => col.notNull())
    .addColumn("delivery_id", "uuid")
    .addColumn("eta_minutes", "integer")
    .addColumn("version", "integer", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull())
    .addColumn("updated_at", "timestamptz", (col) => col.notNull())
    .execute();

  await db.schema
    .createTable("order_views")
    .addColumn("order_id", "uuid", (col) => col.primaryKey())
    .addColumn("user_id", "uuid", (col) => col.notNull())
    .addColumn("status", "text", (col) => col.notNull())
    .addColumn("view", "jsonb", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull())
    .execute();
  // Keyset pagination: newest first per user.
  await db.schema
    .createIndex("order_views_by_user")
    .on("order_views")
    .columns(["user_id", "created_at desc", "order_id desc"])
    .execute();

  await db.schema
    .createTable("sagas")
    .addColumn("order_id", "uuid", (col) => col.primaryKey())
    .addColumn("step", "text", (col) => col.notNull())
    .addColumn("status", "text", (col) => col.notNull())
    .addColumn("attempt", "integer", (col) => col.notNull())
    .addColumn("deadline_at", "timestamptz")
    .addColumn("state", "jsonb", (col) => col.notNull())
    .addColumn("data", "jsonb", (col) => col.notNull())
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("sagas_due")
    .on("sagas")
    .column("deadline_at")
    .where(sql.ref("deadline_at"), "is not", null)
    .execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("user_id", "uuid", (col) => col.notNull())
    .addColumn("key", "text", (col) => col.notNull())
    .addColumn("request_hash", "text", (col) => col.notNull())
    .addColumn("status_code", "integer", (col) => col.notNull())
    .addColumn("response", "jsonb", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (col) => col.notNull())
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["user_id", "key"])
    .execute();
  await db.schema
    .createIndex("idempotency_keys_expiry")
    .on("idempotency_keys")
    .column("expires_at")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["idempotency_keys", "sagas", "order_views", "orders", "order_events"]) {
    await db.schema.dropTable(table).execute();
  }
}
