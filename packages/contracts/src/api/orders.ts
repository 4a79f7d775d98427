import { z } from "zod";
import { Address, Cursor, Id, IsoDateTime, Limit, OrderStatus, RejectReason, Sku, text } from "../common";
import { Money } from "../money";

export const IdempotencyKey = text().min(8).max(255);

export const PlaceOrderBody = z.object({
  storeId: Id,
  address: Address,
  payment: z.object({ token: text().min(1).max(200) }),
  couponCode: text().trim().min(1).max(64).optional(),
});
export type PlaceOrderBody = z.infer<typeof PlaceOrderBody>;

export const OrderAccepted = z.object({ orderId: Id, status: OrderStatus });
export type OrderAccepted = z.infer<typeof OrderAccepted>;

export const OrderParams = z.object({ id: Id });
export type OrderParams = z.infer<typeof OrderParams>;

export const OrdersQuery = z.object({ limit: Limit, cursor: Cursor, status: OrderStatus.optional() });
export type OrdersQuery = z.infer<typeof OrdersQuery>;

export const OrderLineView = z.object({
  sku: Sku,
  quantity: z.int().min(1),
  unitPrice: Money,
  lineTotal: Money,
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
