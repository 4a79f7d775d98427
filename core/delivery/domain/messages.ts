import { type AnyMessage, causedBy, createMessage, type MessageMeta } from "@qc/contracts";
import type { DeliveryRow } from "../db/schema";

/** Meta for what delivery says in answer to a command, or on its own with a fresh correlation. */
export const replyTo = (
  cause: Pick<AnyMessage, "id" | "correlationId" | "traceparent"> | null,
): MessageMeta =>
  cause ? causedBy(cause, "delivery") : { source: "delivery", correlationId: Bun.randomUUIDv7() };

export const created = (
  delivery: Pick<DeliveryRow, "order_id" | "store_id" | "delivery_id" | "rider_id" | "eta_minutes">,
  meta: MessageMeta,
) =>
  createMessage(
    "DeliveryCreated",
    {
      orderId: delivery.order_id,
      storeId: delivery.store_id,
      deliveryId: delivery.delivery_id,
      riderId: delivery.rider_id ?? "",
      etaMinutes: delivery.eta_minutes ?? 0,
    },
    meta,
  );

export const failed = (
  delivery: Pick<DeliveryRow, "order_id" | "store_id">,
  reason: "NO_RIDER" | "OUT_OF_RANGE",
  meta: MessageMeta,
) =>
  createMessage("DeliveryFailed", { orderId: delivery.order_id, storeId: delivery.store_id, reason }, meta);

export const cancelled = (
  delivery: Pick<DeliveryRow, "order_id" | "store_id">,
  deliveryId: string | null,
  meta: MessageMeta,
) =>
  createMessage(
    "DeliveryCancelled",
    { orderId: delivery.order_id, storeId: delivery.store_id, deliveryId },
    meta,
  );

/** What a delivery's current state answers to a repeated or late command; nothing while it still waits. */
export function stateOf(delivery: DeliveryRow, meta: MessageMeta) {
  switch (delivery.status) {
    case "PENDING_RIDER":
      return [];
    case "FAILED":
      return [failed(delivery, "NO_RIDER", meta)];
    case "CANCELLED":
      return [cancelled(delivery, delivery.address_line1 === null ? null : delivery.delivery_id, meta)];
    default:
      return [created(delivery, meta)];
  }
}
