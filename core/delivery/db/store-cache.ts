import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import type { Database, StoreRow } from "./schema";
import { findStore } from "./store-repository";

/**
 * Stores as CreateDelivery reads them (location and radius), kept in this process for `ttlMs`: every
 * delivery of a store reads the same row, which changes when an operator edits the store. The instance
 * that applies a StoreUpserted forgets its copy at once; any other instance within `ttlMs`. A store not
 * known yet is not kept, so its StoreUpserted counts as soon as it is written.
 */
export function storeCache(ttlMs: number) {
  const stores = new LRUCache<string, StoreRow>({ max: 10_000, ttl: ttlMs });
  // Bumped by every forget: a read that began before an edit committed must not put the old row back.
  let edits = 0;
  return {
    async find(db: Kysely<Database>, storeId: string): Promise<StoreRow | undefined> {
      const cached = stores.get(storeId);
      if (cached) return cached;
      const before = edits;
      const found = await findStore(db, storeId);
      if (found && edits === before) stores.set(storeId, found);
      return found;
    },
    forget: (storeId: string) => {
      edits++;
      stores.delete(storeId);
    },
  };
}

export type StoreCache = ReturnType<typeof storeCache>;
