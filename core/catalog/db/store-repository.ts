import type { StoreView } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Database, Store } from "./schema";

/** A store row as the API shows it. */
export const storeView = (row: Store): StoreView => ({
  storeId: row.id,
  name: row.name,
  location: { lat: row.lat, lng: row.lng },
  serviceRadiusMeters: row.service_radius_meters,
  active: row.active,
});

/** Creates the store or replaces its fields. */
export async function upsertStore(db: Kysely<Database>, store: StoreView): Promise<Store> {
  const values = {
    name: store.name,
    lat: store.location.lat,
    lng: store.location.lng,
    service_radius_meters: store.serviceRadiusMeters,
    active: store.active,
  };
  return db
    .insertInto("stores")
    .values({ id: store.storeId, ...values })
    .onConflict((conflict) => conflict.column("id").doUpdateSet({ ...values, updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findStore(db: Kysely<Database>, id: string): Promise<Store | undefined> {
  return db.selectFrom("stores").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * The nearest open store whose delivery radius covers the point, with its great-circle distance in km
 * (haversine in SQL; a bounding box or PostGIS would matter only with thousands of stores).
 */
export async function nearestServingStore(
  db: Kysely<Database>,
  point: { lat: number; lng: number },
): Promise<{ id: string; name: string; km: number } | undefined> {
  const lat = sql`${point.lat}::float8`;
  const lng = sql`${point.lng}::float8`;
  const result = await sql<{ id: string; name: string; km: number }>`
    select id, name, km from (
      select id, name, service_radius_meters,
        2 * 6371.0088 * asin(least(1, sqrt(
          power(sin(radians(lat - ${lat}) / 2), 2) +
          cos(radians(${lat})) * cos(radians(lat)) * power(sin(radians(lng - ${lng}) / 2), 2)
        ))) as km
      from stores
      where active
    ) candidates
    where km * 1000 <= service_radius_meters
    order by km, id
    limit 1`.execute(db);
  return result.rows[0];
}
