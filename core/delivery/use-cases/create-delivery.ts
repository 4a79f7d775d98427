import type { MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import { currentTraceparent } from "../../shared/telemetry/tracing";
import { findDelivery, insertDelivery, takeNearestFreeRider } from "../db/delivery-repository";
import type { Database } from "../db/schema";
import type { StoreCache } from "../db/store-cache";
import { distanceMeters, etaMinutes } from "../domain/geo";
import { created, failed, replyTo, stateOf } from "../domain/messages";

/**
 * CreateDelivery: the order gets the nearest free rider of its store and an ETA (DeliveryCreated). With no
 * rider free it waits (PENDING_RIDER) until `assignWithinMs` has passed, then fails with NO_RIDER; an
 * address outside the store's radius fails at once. A repeat answers with the delivery's current state,
 * and a CancelDelivery that came first leaves a tombstone this answers DeliveryCancelled from. The rider is
 * taken before the delivery is written, so the row is inserted once in its final state.
 */
export async function createDelivery(
  trx: Kysely<Database>,
  command: MessageOf<"CreateDelivery">,
  assignWithinMs: number,
  stores: StoreCache,
): Promise<void> {
  const { orderId, storeId, address } = command.data;
  const meta = replyTo(command);
  await lockUntilCommit(trx, orderId);
  const store = await stores.find(trx, storeId);
  const inRange = store !== undefined && distanceMeters(store, address) <= store.service_radius_meters;
  // A fresh order in its store's radius, the common case, takes its rider in one round trip: none is taken if
  // the order has a delivery already, which is looked up only then (or when no rider is free).
  const rider = inRange ? await takeNearestFreeRider(trx, storeId, store, orderId) : undefined;
  if (!rider) {
    const existing = await findDelivery(trx, orderId);
    if (existing) return enqueue(trx, ...stateOf(existing, meta));
  }

  const delivery = {
    delivery_id: Bun.randomUUIDv7(),
    order_id: orderId,
    store_id: storeId,
    address_line1: address.line1,
    lat: address.lat,
    lng: address.lng,
    assign_deadline: new Date(Date.now() + assignWithinMs),
    traceparent: currentTraceparent() ?? command.traceparent,
  };
  if (store && !inRange) {
    await insertDelivery(trx, { ...delivery, status: "FAILED", rider_id: null, eta_minutes: null });
    return enqueue(trx, failed(delivery, "OUT_OF_RANGE", meta));
  }
  // No store known yet, or no rider free: the delivery waits, and the assigner's next pass finds it a rider.
  if (!store || !rider) {
    await insertDelivery(trx, { ...delivery, status: "PENDING_RIDER", rider_id: null, eta_minutes: null });
    return;
  }
  const assigned = {
    ...delivery,
    status: "ASSIGNED" as const,
    rider_id: rider.rider_id,
    eta_minutes: etaMinutes(rider, store, address),
  };
  await insertDelivery(trx, assigned);
  await enqueue(trx, created(assigned, meta));
}
