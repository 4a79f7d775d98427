import { createMessage, type MessageOf, type OrderStatus } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { MessageHandler } from "../../shared/consumer/runner";
import { enqueue } from "../../shared/outbox/enqueue";
import { lockAggregate } from "../db/aggregate-repository";
import type { Database } from "../db/schema";
import { movesForward, type OrderEvent } from "../domain/order";
import type { SagaInput } from "../domain/saga";
import { applySagaInput } from "../use-cases/apply";
import type { SagaSettings } from "../use-cases/settings";

/**
 * Choreography after CONFIRMED: a rider's DeliveryStatusChanged moves the order forward and is announced
 * as OrderStatusChanged; delivery captures the payment (the amount is final only then). Pick-up commits the
 * stock only when the packing was never reported. Stale, repeated or post-cancel updates leave the order as it is.
 */
export const deliveryProgressHandler =
  (settings: SagaSettings): MessageHandler =>
  async (db, message) => {
    const update = message as MessageOf<"DeliveryStatusChanged">;
    const { status } = update.data;
    const input: SagaInput = { type: status === "DELIVERED" ? "Delivered" : "PickedUp" };
    await moveForward(db as Kysely<Database>, settings, update, status, input, {
      type: "DeliveryProgressed",
      data: { status },
    });
  };

/**
 * The store packed the order (delivery's pick task completed): CONFIRMED → PACKED with what is in the bag (the
 * order's amounts follow it), announced like the others; the saga commits the packed goods.
 */
export const orderPackedHandler =
  (settings: SagaSettings): MessageHandler =>
  async (db, message) => {
    const packed = message as MessageOf<"OrderPacked">;
    await moveForward(
      db as Kysely<Database>,
      settings,
      packed,
      "PACKED",
      { type: "Packed" },
      {
        type: "OrderPacked",
        data: { taskId: packed.data.taskId, lines: packed.data.lines },
      },
    );
  };

async function moveForward(
  trx: Kysely<Database>,
  settings: SagaSettings,
  update: MessageOf<"DeliveryStatusChanged" | "OrderPacked">,
  status: OrderStatus,
  input: SagaInput,
  event: OrderEvent,
): Promise<void> {
  const { orderId } = update.data;
  // The order's lock serializes this with a concurrent cancel of the same order.
  const aggregate = await lockAggregate(trx, orderId);
  if (!aggregate || !movesForward(aggregate.order.status, status)) return;
  const moved = await applySagaInput(trx, settings, orderId, input, {
    cause: update,
    locked: aggregate,
    events: [event],
  });
  if (!moved) return;
  await enqueue(
    trx,
    createMessage(
      "OrderStatusChanged",
      { orderId, userId: moved.userId, storeId: moved.storeId, status },
      { source: "order", correlationId: update.correlationId, causationId: update.id },
    ),
  );
}
