import { type Kysely, sql } from "kysely";

// Picking in the dark store: one pick task per order (learned at OrderPlaced, queued at OrderConfirmed), the
// product names pickers read, and how many tries a shopper notification took.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("pick_tasks")
    .addColumn("task_id", "uuid", (col) => col.primaryKey())
    .addColumn("order_id", "uuid", (col) => col.notNull().unique())
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("user_id", "uuid", (col) => col.notNull())
    .addColumn("express", "boolean", (col) => col.notNull())
    .addColumn("lines", "jsonb", (col) => col.notNull())
    // WAITING (placed) · QUEUED · CLAIMED · PACKED · CANCELLED · DEAD
    .addColumn("status", "text", (col) => col.notNull())
    .addColumn("picker_id", "uuid")
    .addColumn("claim_id", "uuid")
    .addColumn("claimed_until", "timestamptz")
    .addColumn("attempts", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("picked", "jsonb")
    // null while QUEUED and not yet confirmed by RabbitMQ: the republish sweep finds it.
    .addColumn("published_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("pick_tasks_unpublished")
    .on("pick_tasks")
    .column("updated_at")
    .where(sql.ref("status"), "=", "QUEUED")
    .where(sql.ref("published_at"), "is", null)
    .execute();
  await db.schema
    .createIndex("pick_tasks_by_picker")
    .on("pick_tasks")
    .column("picker_id")
    .where(sql.ref("status"), "=", "CLAIMED")
    .execute();
  await db.schema
    .createTable("products")
    .addColumn("sku", "text", (col) => col.primaryKey())
    .addColumn("name", "text", (col) => col.notNull())
    .execute();
  await db.schema
    .alterTable("notifications")
    .addColumn("attempts", "integer", (col) => col.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("notifications").dropColumn("attempts").execute();
  await db.schema.dropTable("products").execute();
  await db.schema.dropTable("pick_tasks").execute();
}
