import { createMessage, type DeliveryStatus } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { conflict, forbidden, notFound } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import { findDelivery, updateDelivery } from "../db/delivery-repository";
import { isPacked } from "../db/pick-task-repository";
import type { Database, DeliveryRow } from "../db/schema";
import { findRider } from "../db/store-repository";
import { replyTo } from "../domain/messages";
import { canMove } from "../domain/transitions";
import { freeRider } from "./assign-rider";
import { inCheckoutTrace } from "./checkout-trace";

/**
 * A rider reports progress on their delivery: one step forward at a time (409 otherwise; repeating the
 * current status is a no-op), published as DeliveryStatusChanged for the order to follow. Only the rider
 * assigned to it may report (403). The rider picks up only a bag the store has packed (409 not_packed while
 * its pick task waits, is picked or died, and while no task exists yet because picking has not seen the order).
 * DELIVERED frees the rider at the shopper's door.
 */
export function reportStatus(
  db: Kysely<Database>,
  report: { orderId: string; riderUserId: string; status: DeliveryStatus },
): Promise<DeliveryRow> {
  return transact(db, async (trx) => {
    const delivery = await findDelivery(trx, report.orderId);
    if (!delivery?.rider_id) throw notFound("delivery");
    const rider = await findRider(trx, delivery.rider_id);
    if (!rider || rider.user_id !== report.riderUserId) throw forbidden("only the assigned rider may report");
    if (delivery.status === report.status) return delivery;
    if (!canMove(delivery.status, report.status)) {
      throw conflict("invalid_transition", `a ${delivery.status} delivery cannot become ${report.status}`);
    }
    if (report.status === "PICKED_UP" && !(await isPacked(trx, report.orderId)))
      throw conflict("not_packed", "The store has not packed this order yet");
    const moved = await updateDelivery(trx, delivery.delivery_id, { status: report.status });
    const data = {
      orderId: moved.order_id,
      deliveryId: moved.delivery_id,
      riderId: rider.rider_id,
      status: report.status,
    };
    await inCheckoutTrace(moved, `delivery ${moved.status}`, () =>
      enqueue(trx, createMessage("DeliveryStatusChanged", data, replyTo(null))),
    );
    if (report.status === "DELIVERED" && moved.lat !== null && moved.lng !== null) {
      await freeRider(trx, {
        riderId: rider.rider_id,
        storeId: rider.store_id,
        at: { lat: moved.lat, lng: moved.lng },
      });
    }
    return moved;
  });
}
