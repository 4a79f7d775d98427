import type { MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { enqueue } from "../../shared/outbox/enqueue";
import { currentTraceparent } from "../../shared/telemetry/tracing";
import { findDelivery, insertDelivery, lockOrder, updateDelivery } from "../db/delivery-repository";
import type { Database } from "../db/schema";
import { findStore } from "../db/store-repository";
import { distanceMeters } from "../domain/geo";
import { failed, replyTo, stateOf } from "../domain/messages";
import { assignRider } from "./assign-rider";

/**
 * CreateDelivery: the order gets the nearest free rider of its store and an ETA (DeliveryCreated). With no
 * rider free it waits (PENDING_RIDER) until `assignWithinMs` has passed, then fails with NO_RIDER; an
 * address outside the store's radius fails at once. A repeat answers with the delivery's current state,
 * and a CancelDelivery that came first leaves a tombstone this answers DeliveryCancelled from.
 */
export async function createDelivery(
  trx: Kysely<Database>,
  command: MessageOf<"CreateDelivery">,
  assignWithinMs: number,
): Promise<void> {
  const { orderId, storeId, address } = command.data;
  const meta = replyTo(command);
  await lockOrder(trx, orderId);
  const existing = await findDelivery(trx, orderId);
  if (existing) return enqueue(trx, ...stateOf(existing, meta));

  const delivery = await insertDelivery(trx, {
    delivery_id: Bun.randomUUIDv7(),
    order_id: orderId,
    store_id: storeId,
    rider_id: null,
    status: "PENDING_RIDER",
    address_line1: address.line1,
    lat: address.lat,
    lng: address.lng,
    eta_minutes: null,
    assign_deadline: new Date(Date.now() + assignWithinMs),
    traceparent: currentTraceparent() ?? command.traceparent,
  });
  const store = await findStore(trx, storeId);
  if (store && distanceMeters(store, address) > store.service_radius_meters) {
    const outOfRange = await updateDelivery(trx, delivery.delivery_id, { status: "FAILED" });
    return enqueue(trx, failed(outOfRange, "OUT_OF_RANGE", meta));
  }
  await assignRider(trx, delivery, meta, store);
}
