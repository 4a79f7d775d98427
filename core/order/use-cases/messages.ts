import { type AnyMessage, createMessage, type MessageMeta } from "@qc/contracts";
import type { SagaData } from "../db/schema";
import type { OrderState } from "../domain/order";
import { goodsOf } from "../domain/packing";
import type { SagaCommand, SagaFact, SagaState } from "../domain/saga";

/** The contract message that carries a saga command to its participant (as the order stands after the step). */
export function commandMessage(
  command: SagaCommand,
  { orderId, total, packed }: Pick<OrderState, "orderId" | "total" | "packed">,
  data: SagaData,
  meta: MessageMeta,
  reservationTtlMs: number,
): AnyMessage {
  const reservation = { orderId, storeId: data.storeId, lines: data.lines };
  const payment = { orderId, paymentId: data.paymentId };
  switch (command) {
    case "ReserveStock":
      return createMessage(
        "ReserveStock",
        { ...reservation, expiresAt: new Date(Date.now() + reservationTtlMs).toISOString() },
        meta,
      );
    case "CommitStock":
      // Packed: the bag's goods are sold and the rest of the hold released; unreported: every held line.
      return createMessage(
        "CommitStock",
        { ...reservation, ...(packed && { picked: goodsOf(packed) }) },
        meta,
      );
    case "ReleaseStock":
      return createMessage("ReleaseStock", reservation, meta);
    case "AuthorizePayment":
      return createMessage(
        "AuthorizePayment",
        { ...payment, amount: data.amount, token: data.paymentToken },
        meta,
      );
    case "CapturePayment": {
      // Final at delivery: the order's total after packing (missing items and substitutes lower it), never
      // more than was authorized.
      const amountMinor = Math.min(total.amountMinor, data.amount.amountMinor);
      return createMessage("CapturePayment", { ...payment, amount: { ...data.amount, amountMinor } }, meta);
    }
    case "VoidPayment":
      return createMessage("VoidPayment", payment, meta);
    case "CreateDelivery":
      return createMessage("CreateDelivery", { orderId, storeId: data.storeId, address: data.address }, meta);
    case "CancelDelivery":
      return createMessage("CancelDelivery", { orderId, storeId: data.storeId }, meta);
  }
}

/** The public order events a saga's facts announce (OrderConfirmed, OrderRejected, OrderCancelled). */
export function announcements(
  facts: readonly SagaFact[],
  order: OrderState,
  saga: SagaState,
  data: SagaData,
  meta: MessageMeta,
): AnyMessage[] {
  const ref = { orderId: order.orderId, userId: order.userId, storeId: order.storeId };
  return facts.flatMap((fact): AnyMessage[] => {
    switch (fact.kind) {
      case "confirmed":
        return [
          createMessage(
            "OrderConfirmed",
            {
              ...ref,
              paymentId: data.paymentId,
              deliveryId: fact.deliveryId,
              total: order.total,
              etaMinutes: saga.etaMinutes ?? 0,
            },
            meta,
          ),
        ];
      case "rejected":
        return [createMessage("OrderRejected", { ...ref, reason: fact.reason, detail: fact.detail }, meta)];
      case "cancelled":
        return [createMessage("OrderCancelled", { ...ref, reason: fact.reason }, meta)];
      default:
        return [];
    }
  });
}
