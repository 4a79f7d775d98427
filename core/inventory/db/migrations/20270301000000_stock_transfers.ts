import { type Kysely, sql } from "kysely";

// Stock transfers between shard databases: which shard keeps each store's stock, and the two-phase commit
// coordinator's log. Every shard database carries the same schema; these two tables are used only in the
// service's own database (the first shard), where the coordinator runs.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("store_shards")
    .addColumn("store_id", "uuid", (col) => col.primaryKey())
    .addColumn("shard", "text", (col) => col.notNull())
    .addColumn("assigned_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("stock_transfers")
    .addColumn("transfer_id", "uuid", (col) => col.primaryKey())
    .addColumn("idempotency_key", "text", (col) => col.notNull().unique())
    .addColumn("requested_by", "uuid", (col) => col.notNull())
    .addColumn("from_store_id", "uuid", (col) => col.notNull())
    .addColumn("to_store_id", "uuid", (col) => col.notNull())
    .addColumn("sku", "text", (col) => col.notNull())
    .addColumn("quantity", "integer", (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn("from_shard", "text", (col) => col.notNull())
    .addColumn("to_shard", "text", (col) => col.notNull())
    // PREPARING → COMMITTING → COMMITTED, or PREPARING → ABORTING → ABORTED; a state is committed before
    // the step it announces, so recovery after a crash knows the decision (none logged = abort).
    .addColumn("state", "text", (col) =>
      col.notNull().check(sql`state in ('PREPARING', 'COMMITTING', 'COMMITTED', 'ABORTING', 'ABORTED')`),
    )
    .addColumn("reason", "text")
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("decided_at", "timestamptz")
    .addColumn("finished_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("stock_transfers_unfinished")
    .on("stock_transfers")
    .column("created_at")
    .where(sql.ref("state"), "in", ["PREPARING", "COMMITTING", "ABORTING"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("stock_transfers").execute();
  await db.schema.dropTable("store_shards").execute();
}
