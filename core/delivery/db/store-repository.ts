import type { StoreUpsertedData } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Database, RiderRow, StoreRow } from "./schema";

export function findStore(db: Kysely<Database>, storeId: string): Promise<StoreRow | undefined> {
  return db.selectFrom("stores").selectAll().where("store_id", "=", storeId).executeTakeFirst();
}

/** Keeps the local copy of a store as the catalog last described it. */
export async function upsertStore(db: Kysely<Database>, store: StoreUpsertedData): Promise<void> {
  const row = {
    store_id: store.storeId,
    name: store.name,
    lat: store.location.lat,
    lng: store.location.lng,
    service_radius_meters: store.serviceRadiusMeters,
    active: store.active,
  };
  await db
    .insertInto("stores")
    .values(row)
    .onConflict((oc) => oc.column("store_id").doUpdateSet({ ...row, updated_at: sql`now()` }))
    .execute();
}

export function insertRider(
  db: Kysely<Database>,
  rider: Pick<RiderRow, "rider_id" | "store_id" | "name" | "user_id" | "lat" | "lng">,
): Promise<RiderRow> {
  return db.insertInto("riders").values(rider).returningAll().executeTakeFirstOrThrow();
}

export function ridersOfStore(db: Kysely<Database>, storeId: string): Promise<RiderRow[]> {
  return db.selectFrom("riders").selectAll().where("store_id", "=", storeId).orderBy("name").execute();
}

export function findRider(db: Kysely<Database>, riderId: string): Promise<RiderRow | undefined> {
  return db.selectFrom("riders").selectAll().where("rider_id", "=", riderId).executeTakeFirst();
}
