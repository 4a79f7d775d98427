import { z } from "zod";
import { Address, Cursor, Id, IsoDateTime, Limit, OrderStatus, RejectReason, Sku, text } from "../common";
import { Money } from "../money";

export const IdempotencyKey = text().min(8).max(255);

export const PlaceOrderBody = z.object({
  storeId: Id,
  address: Address,
  payment: z.object({ token: text().min(1).max(200) }),
  couponCode: text().trim().min(1).max(64).optional(),
  /** An express order is picked before the others waiting in its store (absent: false). */
  express: z.boolean().optional(),
  /** The shopper accepts a substitute, at no more than the ordered item's price, for a missing item (absent: false). */
  allowSubstitutions: z.boolean().optional(),
});
export type PlaceOrderBody = z.infer<typeof PlaceOrderBody>;

export const OrderAccepted = z.object({ orderId: Id, status: OrderStatus });
export type OrderAccepted = z.infer<typeof OrderAccepted>;

export const OrderParams = z.object({ id: Id });
export type OrderParams = z.infer<typeof OrderParams>;

export const OrdersQuery = z.object({ limit: Limit, cursor: Cursor, status: OrderStatus.optional() });
export type OrdersQuery = z.infer<typeof OrdersQuery>;

/** What the store put in the bag instead of a line's missing units, charged at `unitPrice` (≤ the line's). */
export const SubstituteView = z.object({
  sku: Sku,
  quantity: z.int().min(1),
  unitPrice: Money,
  lineTotal: Money,
});
export type SubstituteView = z.infer<typeof SubstituteView>;

/**
 * One ordered line. `lineTotal` is what the line is charged: `quantity` units until the order is packed, the
 * `picked` units after (missing units are not charged); `picked` and `substitute` appear once it is packed.
 */
export const OrderLineView = z.object({
  sku: Sku,
  quantity: z.int().min(1),
  unitPrice: Money,
  lineTotal: Money,
  picked: z.int().nonnegative().optional(),
  substitute: SubstituteView.optional(),
});
export type OrderLineView = z.infer<typeof OrderLineView>;

export const OrderStepView = z.object({ step: z.string(), at: IsoDateTime, detail: z.string().nullable() });
export type OrderStepView = z.infer<typeof OrderStepView>;

export const OrderView = z.object({
  orderId: Id,
  userId: Id,
  storeId: Id,
  status: OrderStatus,
  reason: RejectReason.nullable(),
  lines: z.array(OrderLineView),
  subtotal: Money,
  deliveryFee: Money,
  discount: Money,
  total: Money,
  address: Address,
  etaMinutes: z.int().nonnegative().nullable(),
  history: z.array(OrderStepView),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type OrderView = z.infer<typeof OrderView>;

export const OrderPage = z.object({ items: z.array(OrderView), nextCursor: z.string().nullable() });
export type OrderPage = z.infer<typeof OrderPage>;

/** GET /v1/admin/orders/:id: without `asOf`, the order now. */
export const AdminOrderQuery = z.object({ asOf: IsoDateTime.optional() });
export type AdminOrderQuery = z.infer<typeof AdminOrderQuery>;

/** The order as it was at `asOf`, folded from its events up to `version`. */
export const OrderAsOfView = OrderView.extend({ version: z.int().min(1), asOf: IsoDateTime });
export type OrderAsOfView = z.infer<typeof OrderAsOfView>;

/** Who caused an order event: a shopper or admin (user id), or a service (its name) acting on a message or timer. */
export const EventActor = z.object({ kind: z.enum(["shopper", "admin", "service"]), id: z.string() });
export type EventActor = z.infer<typeof EventActor>;

/** One event of the audit trail; cause and actor are null for events recorded before they were kept. */
export const OrderEventView = z.object({
  version: z.int().min(1),
  type: z.string(),
  occurredAt: IsoDateTime,
  data: z.record(z.string(), z.unknown()),
  correlationId: z.string().nullable(),
  causationId: z.string().nullable(),
  actor: EventActor.nullable(),
});
export type OrderEventView = z.infer<typeof OrderEventView>;

/** GET /v1/admin/orders/:id/events: every event of the order, in version order. */
export const OrderAuditTrail = z.object({ orderId: Id, events: z.array(OrderEventView) });
export type OrderAuditTrail = z.infer<typeof OrderAuditTrail>;
