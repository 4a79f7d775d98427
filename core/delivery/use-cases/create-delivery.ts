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
  const existing = await findDelivery(trx, orderId);
  if (existing) return enqueue(trx, ...stateOf(existing, meta));

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
  const store = await stores.find(trx, storeId);
  if (store && distanceMeters(store, address) > store.service_radius_meters) {
    await insertDelivery(trx, { ...delivery, status: "FAILED", rider_id: null, eta_minutes: null });
    return enqueue(trx, failed(delivery, "OUT_OF_RANGE", meta));
  }
  // No store known yet: the delivery waits, and the assigner's next pass finds it a rider.
  const rider = store && (await takeNearestFreeRider(trx, storeId, store));
  if (!rider) {
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
