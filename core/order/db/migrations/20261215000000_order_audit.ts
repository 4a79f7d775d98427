import type { Kysely } from "kysely";

// The audit trail and temporal queries (issue 15). Expand only: every new column of order_events is nullable,
// since events appended before this migration know neither their cause nor their actor (null = unknown),
// and a null schema_version is version 1 (see domain/upcasters.ts). order_snapshots holds the folded order
// every ORDER_SNAPSHOT_EVERY events, so an "as of" read folds from the nearest one instead of version 1;
// it is a cache, its rows may be deleted at any time.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("order_events")
    .addColumn("schema_version", "smallint")
    .addColumn("correlation_id", "text")
    .addColumn("causation_id", "text")
    .addColumn("actor_kind", "text")
    .addColumn("actor_id", "text")
    .execute();

  await db.schema
    .createTable("order_snapshots")
    .addColumn("order_id", "uuid", (col) => col.notNull())
    .addColumn("version", "integer", (col) => col.notNull())
    .addColumn("state", "jsonb", (col) => col.notNull())
    // The occurred_at of the event at `version`: the first instant this state was the order's.
    .addColumn("taken_at", "timestamptz", (col) => col.notNull())
    .addPrimaryKeyConstraint("order_snapshots_pk", ["order_id", "version"])
    .execute();
}

// The audit columns stay (older code ignores them, and dropping them would lose the trail); the cache goes.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("order_snapshots").execute();
}
