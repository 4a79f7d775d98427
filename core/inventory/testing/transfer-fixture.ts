import { type Kysely, sql } from "kysely";
import type { Database } from "../db/schema";
import type { Shards } from "../db/shards";

/** Transactions prepared for stock transfers and not resolved, in every shard database. */
export async function preparedGids(shards: Shards): Promise<string[]> {
  const gids: string[] = [];
  for (const shard of shards.all) {
    const { rows } = await sql<{ gid: string }>`
      select gid from pg_prepared_xacts where database = current_database() and gid like 'qc\\_st\\_%'`.execute(
      shard.db,
    );
    gids.push(...rows.map((row) => row.gid));
  }
  return gids;
}

/** A store's counters for one SKU (zeros when it has no row). */
export async function countersOf(db: Kysely<Database>, storeId: string, sku: string) {
  const row = await db
    .selectFrom("stock")
    .select(["on_hand", "reserved", "received", "sold"])
    .where("store_id", "=", storeId)
    .where("sku", "=", sku)
    .executeTakeFirst();
  return row ?? { on_hand: 0, reserved: 0, received: 0, sold: 0 };
}
