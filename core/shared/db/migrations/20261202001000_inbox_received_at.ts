import type { Kysely } from "kysely";

// The inbox is pruned by age (core/shared/consumer/inbox-prune.ts): an index keeps each pruning round a
// range scan instead of a scan of every message the service ever consumed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("inbox_received_at").on("inbox").column("received_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("inbox_received_at").execute();
}
