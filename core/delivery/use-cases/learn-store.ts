import type { Kysely } from "kysely";
import type { catalogClient } from "../clients/catalog";
import type { Database, StoreRow } from "../db/schema";
import { findStore, upsertStore } from "../db/store-repository";

/**
 * The store as delivery knows it, asking its owner (catalog) when catalog's StoreUpserted has not arrived yet:
 * an operator who just created a store can add its riders at once (read-your-writes). Null only when catalog
 * knows no such store either; a catalog that cannot answer throws (the caller answers 503, retry shortly).
 */
export async function learnStore(
  db: Kysely<Database>,
  catalog: ReturnType<typeof catalogClient>,
  storeId: string,
): Promise<StoreRow | null> {
  const known = await findStore(db, storeId);
  if (known) return known;
  const store = await catalog.store(storeId);
  if (!store) return null;
  // The event, when it comes, upserts the same row (newer data wins either way: it is the same owner's).
  await upsertStore(db, { ...store, active: store.active ?? true });
  return (await findStore(db, storeId)) ?? null;
}
