import { z } from "zod";
import { Id, IsoDateTime, LatLng, OrderStatus, RejectReason } from "../common";
import type { OrderView } from "./orders";

/**
 * One change of an order as a shopper follows it live (`GET /v1/orders/:id/events`, `text/event-stream`):
 * the order's state after the change. `id` (the SSE event id) is the instant of the change in epoch
 * milliseconds, increasing along an order's changes, so a client resuming with `Last-Event-ID` gets exactly
 * what it missed and a change pushed twice is shown once. An event with `rider` is the rider's position (and
 * the ETA it gives) rather than a change of status; only the latest position is kept for a viewer who resumes.
 */
export const OrderLiveEvent = z.object({
  id: z.int().positive(),
  orderId: Id,
  status: OrderStatus,
  reason: RejectReason.nullable(),
  etaMinutes: z.int().nonnegative().nullable(),
  at: IsoDateTime,
  rider: LatLng.optional(),
});
export type OrderLiveEvent = z.infer<typeof OrderLiveEvent>;

/** POST /internal/orders/:orderId/live (core → edge, signed with PURGE_SECRET): changes to fan out. */
export const OrderLiveBody = z.object({ events: z.array(OrderLiveEvent).min(1).max(50) });
export type OrderLiveBody = z.infer<typeof OrderLiveBody>;
export const orderLivePath = (orderId: string) => `/internal/orders/${orderId}/live`;

/** The live event for an order as it stands (its view): the same from core's push and the edge's seed. */
export const liveEventOf = (
  view: Pick<OrderView, "orderId" | "status" | "reason" | "etaMinutes" | "updatedAt">,
): OrderLiveEvent => ({
  id: Date.parse(view.updatedAt),
  orderId: view.orderId,
  status: view.status,
  reason: view.reason,
  etaMinutes: view.etaMinutes,
  at: view.updatedAt,
});

/**
 * Sent by the edge with the owner check of a viewer's `GET /v1/orders/:id`: someone follows this order
 * live, so core pushes its changes to the edge (an order nobody follows costs no push).
 */
export const LIVE_WATCH_HEADER = "X-Live-Watch";
