import type { MessageMeta } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import { claimWaiting, setRider, takeNearestFreeRider, updateDelivery } from "../db/delivery-repository";
import type { Database, DeliveryRow } from "../db/schema";
import { findStore } from "../db/store-repository";
import { etaMinutes } from "../domain/geo";
import { created, failed, replyTo } from "../domain/messages";

/**
 * Gives a waiting delivery the nearest free rider of its store and answers DeliveryCreated; false (and the
 * delivery keeps waiting) when the store has no free rider yet.
 */
export async function assignRider(
  trx: Kysely<Database>,
  delivery: DeliveryRow,
  meta: MessageMeta,
): Promise<boolean> {
  const store = await findStore(trx, delivery.store_id);
  if (!store || delivery.lat === null || delivery.lng === null) return false;
  const rider = await takeNearestFreeRider(trx, store.store_id, store);
  if (!rider) return false;
  const assigned = await updateDelivery(trx, delivery.delivery_id, {
    status: "ASSIGNED",
    rider_id: rider.rider_id,
    eta_minutes: etaMinutes(rider, store, { lat: delivery.lat, lng: delivery.lng }),
  });
  await enqueue(trx, created(assigned, meta));
  return true;
}

/** A waiting delivery past its deadline fails with NO_RIDER; the others try for a rider again. */
async function retryWaiting(trx: Kysely<Database>, waiting: DeliveryRow[]): Promise<void> {
  for (const delivery of waiting) {
    const meta = replyTo(null);
    if (delivery.assign_deadline && delivery.assign_deadline.getTime() <= Date.now()) {
      const gaveUp = await updateDelivery(trx, delivery.delivery_id, { status: "FAILED" });
      await enqueue(trx, failed(gaveUp, "NO_RIDER", meta));
    } else {
      await assignRider(trx, delivery, meta);
    }
  }
}

/** A rider is free again: back to FREE (where they are now) and, if an order of their store waits, on it. */
export async function freeRider(
  trx: Kysely<Database>,
  rider: { riderId: string; storeId: string; at?: { lat: number; lng: number } },
): Promise<void> {
  await setRider(trx, rider.riderId, { status: "FREE", ...rider.at });
  await retryWaiting(trx, await claimWaiting(trx, 1, rider.storeId));
}

/** One pass over every waiting delivery (the assigner's timer runs this). */
export function retryAllWaiting(db: Kysely<Database>): Promise<void> {
  return transact(db, async (trx) => retryWaiting(trx, await claimWaiting(trx, 50)));
}
