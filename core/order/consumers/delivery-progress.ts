import { createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { MessageHandler } from "../../shared/consumer/runner";
import { enqueue } from "../../shared/outbox/enqueue";
import { loadOrder, recordEvents } from "../db/order-repository";
import { lockSaga } from "../db/saga-repository";
import type { Database } from "../db/schema";
import { movesForward } from "../domain/order";
import { applySagaInput } from "../use-cases/apply";
import type { SagaSettings } from "../use-cases/settings";

/**
 * Choreography after CONFIRMED: a rider's DeliveryStatusChanged moves the order forward and is announced
 * as OrderStatusChanged. Stale, repeated or post-cancel updates leave the order as it is.
 */
export const deliveryProgressHandler =
  (settings: SagaSettings): MessageHandler =>
  async (db, message) => {
    const trx = db as Kysely<Database>;
    const update = message as MessageOf<"DeliveryStatusChanged">;
    const { orderId, status } = update.data;
    // The saga's lock serializes this with a concurrent cancel of the same order.
    const saga = await lockSaga(trx, orderId);
    const order = await loadOrder(trx, orderId);
    if (!saga || !order || !movesForward(order.status, status)) return;
    await applySagaInput(trx, settings, orderId, { type: "PickedUp" }, update, saga);
    const moved = await recordEvents(trx, orderId, [{ type: "DeliveryProgressed", data: { status } }]);
    if (!moved) return;
    await enqueue(
      trx,
      createMessage(
        "OrderStatusChanged",
        { orderId, userId: moved.userId, storeId: moved.storeId, status },
        { source: "order", correlationId: update.correlationId, causationId: update.id },
      ),
    );
  };
