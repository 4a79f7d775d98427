import { type Kysely, sql } from "kysely";
import type { DeliveryState } from "../domain/transitions";
import type { Database, DeliveriesTable, DeliveryRow, RiderRow } from "./schema";

/** What a step needs to continue the delivery's checkout trace, read without locking the delivery. */
export type DeliveryTrace = Pick<DeliveryRow, "order_id" | "delivery_id" | "status" | "traceparent">;
export const findDeliveryTrace = (
  db: Kysely<Database>,
  orderId: string,
): Promise<DeliveryTrace | undefined> =>
  db
    .selectFrom("deliveries")
    .select(["order_id", "delivery_id", "status", "traceparent"])
    .where("order_id", "=", orderId)
    .executeTakeFirst();

export function findDelivery(db: Kysely<Database>, orderId: string): Promise<DeliveryRow | undefined> {
  return db
    .selectFrom("deliveries")
    .selectAll()
    .where("order_id", "=", orderId)
    .forUpdate()
    .executeTakeFirst();
}

export function insertDelivery(
  db: Kysely<Database>,
  delivery: Omit<DeliveriesTable, "created_at" | "updated_at" | "traceparent"> & {
    traceparent?: string | null;
  },
): Promise<DeliveryRow> {
  return db.insertInto("deliveries").values(delivery).returningAll().executeTakeFirstOrThrow();
}

export function updateDelivery(
  db: Kysely<Database>,
  deliveryId: string,
  change: { status: DeliveryState; rider_id?: string; eta_minutes?: number },
): Promise<DeliveryRow> {
  return db
    .updateTable("deliveries")
    .set({ ...change, updated_at: sql`now()` })
    .where("delivery_id", "=", deliveryId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Takes the store's free rider nearest to a point (now BUSY); riders another transaction is assigning are
 * skipped rather than waited for, so two deliveries never get the same rider.
 */
export function takeNearestFreeRider(
  db: Kysely<Database>,
  storeId: string,
  near: { lat: number; lng: number },
): Promise<RiderRow | undefined> {
  // Equirectangular distance: ordering only, exact enough within a store's few kilometres.
  const squaredDistance = sql`power(lat - ${near.lat}, 2) + power((lng - ${near.lng}) * cos(radians(${near.lat})), 2)`;
  return db
    .updateTable("riders")
    .set({ status: "BUSY" })
    .where("rider_id", "=", (eb) =>
      eb
        .selectFrom("riders")
        .select("rider_id")
        .where("store_id", "=", storeId)
        .where("status", "=", "FREE")
        .where("active", "=", true)
        .orderBy(squaredDistance)
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .executeTakeFirst();
}

export async function setRider(
  db: Kysely<Database>,
  riderId: string,
  change: { status: "FREE" | "BUSY"; lat?: number; lng?: number },
): Promise<void> {
  await db.updateTable("riders").set(change).where("rider_id", "=", riderId).execute();
}

/** Deliveries waiting for a rider, oldest first, locked; another assigner's rows are skipped. */
export function claimWaiting(db: Kysely<Database>, limit: number, storeId?: string): Promise<DeliveryRow[]> {
  let query = db.selectFrom("deliveries").selectAll().where("status", "=", "PENDING_RIDER");
  if (storeId) query = query.where("store_id", "=", storeId);
  return query.orderBy("created_at").limit(limit).forUpdate().skipLocked().execute();
}
