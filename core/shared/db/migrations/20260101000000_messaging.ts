import { type Kysely, sql } from "kysely";

// The transactional outbox and the consumer inbox that every service schema carries.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("outbox")
    .addColumn("seq", "bigserial", (col) => col.primaryKey())
    .addColumn("id", "uuid", (col) => col.notNull().unique())
    .addColumn("topic", "text", (col) => col.notNull())
    .addColumn("key", "text", (col) => col.notNull())
    .addColumn("type", "text", (col) => col.notNull())
    .addColumn("payload", "jsonb", (col) => col.notNull())
    .addColumn("headers", "jsonb", (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("published_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("outbox_unpublished")
    .on("outbox")
    .column("seq")
    .where(sql.ref("published_at"), "is", null)
    .execute();

  await db.schema
    .createTable("inbox")
    .addColumn("consumer_group", "text", (col) => col.notNull())
    .addColumn("message_id", "uuid", (col) => col.notNull())
    .addColumn("type", "text", (col) => col.notNull())
    .addColumn("received_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("inbox_pk", ["consumer_group", "message_id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("inbox").execute();
  await db.schema.dropTable("outbox").execute();
}
