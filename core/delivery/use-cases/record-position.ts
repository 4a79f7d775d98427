import { createMessage, type RiderPositionChangedData } from "@qc/contracts";
import type { RiderPosition } from "@qc/contracts/api/rider-tracking";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import { findDelivery } from "../db/delivery-repository";
import type { Database } from "../db/schema";
import { findRider, findStore } from "../db/store-repository";
import { etaMinutes, rideMinutes } from "../domain/geo";
import { replyTo } from "../domain/messages";
import { HANDED_OVER, RIDING } from "../domain/transitions";

export type PositionOutcome =
  | { kept: true; etaMinutes: number; instruction: string }
  | { kept: false; notice: "not_your_delivery" | "delivery_closed" };

/**
 * Keeps a rider's position for the delivery they ride: the rider's location and the delivery's ETA change and
 * RiderPositionChanged goes to the outbox, in one transaction. The ETA runs through the store until the rider
 * has the goods, straight to the shopper after. Only the delivery's own rider may report, only while riding.
 */
export function recordPosition(
  db: Kysely<Database>,
  riderUserId: string,
  position: RiderPosition,
): Promise<PositionOutcome> {
  return transact(db, async (trx) => {
    const delivery = await findDelivery(trx, position.orderId);
    const rider = delivery?.rider_id ? await findRider(trx, delivery.rider_id) : undefined;
    if (!delivery || !rider || rider.user_id !== riderUserId)
      return { kept: false, notice: "not_your_delivery" };
    if (!RIDING.includes(delivery.status) || delivery.lat === null || delivery.lng === null)
      return { kept: false, notice: "delivery_closed" };
    const here = { lat: position.lat, lng: position.lng };
    const address = { lat: delivery.lat, lng: delivery.lng };
    const hasGoods = HANDED_OVER.includes(delivery.status);
    const store = hasGoods ? undefined : await findStore(trx, delivery.store_id);
    const eta = store ? etaMinutes(here, store, address) : rideMinutes(here, address);
    await trx
      .updateTable("deliveries")
      .set({ eta_minutes: eta })
      .where("delivery_id", "=", delivery.delivery_id)
      .execute();
    await trx.updateTable("riders").set(here).where("rider_id", "=", rider.rider_id).execute();
    const data: RiderPositionChangedData = {
      orderId: delivery.order_id,
      deliveryId: delivery.delivery_id,
      riderId: rider.rider_id,
      position: here,
      at: position.at,
      etaMinutes: eta,
    };
    await enqueue(trx, createMessage("RiderPositionChanged", data, replyTo(null)));
    return {
      kept: true,
      etaMinutes: eta,
      instruction: hasGoods ? "Ride to the shopper" : "Ride to the store",
    };
  });
}
