import { createMessage, type DeliveryStatus, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import type { Logger } from "../../shared/telemetry/logger";
import { findDelivery, insertDelivery, updateDelivery } from "../db/delivery-repository";
import type { Database } from "../db/schema";
import { cancelled, replyTo } from "../domain/messages";
import { HANDED_OVER, RIDING } from "../domain/transitions";
import { freeRider } from "./assign-rider";

/**
 * CancelDelivery, the compensation of CreateDelivery: the delivery is cancelled and its rider freed (and
 * handed the next waiting order). Cancelling an unknown order leaves a CANCELLED tombstone so a late
 * CreateDelivery does nothing; cancelling a failed or cancelled one changes nothing. Every case answers
 * DeliveryCancelled, except a delivery the rider already has (picked up, on its way or delivered): that
 * cannot be undone, and the answer is DeliveryCancelRefused, so the saga keeps the order going.
 */
export async function cancelDelivery(
  trx: Kysely<Database>,
  command: MessageOf<"CancelDelivery">,
  logger: Logger,
): Promise<void> {
  const { orderId, storeId } = command.data;
  const meta = replyTo(command);
  await lockUntilCommit(trx, orderId);
  const delivery = await findDelivery(trx, orderId);
  if (!delivery) {
    await insertDelivery(trx, {
      delivery_id: Bun.randomUUIDv7(),
      order_id: orderId,
      store_id: storeId,
      rider_id: null,
      status: "CANCELLED",
      address_line1: null,
      lat: null,
      lng: null,
      eta_minutes: null,
      assign_deadline: null,
    });
    return enqueue(trx, cancelled({ order_id: orderId, store_id: storeId }, null, meta));
  }
  if (HANDED_OVER.includes(delivery.status)) {
    logger.info({ orderId, status: delivery.status }, "cancel refused: the rider has the order");
    return enqueue(
      trx,
      createMessage(
        "DeliveryCancelRefused",
        {
          orderId,
          storeId: delivery.store_id,
          deliveryId: delivery.delivery_id,
          status: delivery.status as DeliveryStatus,
        },
        meta,
      ),
    );
  }
  if (delivery.status === "CANCELLED" || delivery.status === "FAILED") {
    return enqueue(
      trx,
      cancelled(delivery, delivery.address_line1 === null ? null : delivery.delivery_id, meta),
    );
  }
  await updateDelivery(trx, delivery.delivery_id, { status: "CANCELLED" });
  if (delivery.rider_id && RIDING.includes(delivery.status)) {
    await freeRider(trx, { riderId: delivery.rider_id, storeId: delivery.store_id });
  }
  await enqueue(trx, cancelled(delivery, delivery.delivery_id, meta));
}
