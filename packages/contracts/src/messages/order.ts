import { z } from "zod";
import { Address, Id, Line, OrderStatus, RejectReason } from "../common";
import { AmountMinor, Money } from "../money";
import { defineMessage } from "./define";

const OrderRef = z.object({ orderId: Id, userId: Id, storeId: Id });
const bySubject = (data: { orderId: string }) => data.orderId;
const topic = "order.events.v1";

export const PricedLine = Line.extend({ unitPriceMinor: AmountMinor });
export type PricedLine = z.infer<typeof PricedLine>;

export const OrderPlacedData = OrderRef.extend({
  lines: z.array(PricedLine).min(1),
  subtotal: Money,
  deliveryFee: Money,
  discount: Money,
  total: Money,
  address: Address,
  couponCode: z.string().nullable(),
  /** Picked before the store's other orders; absent on orders placed before express existed. */
  express: z.boolean().optional(),
  /** The shopper accepts substitutes for missing items; absent on orders placed before substitutions existed. */
  allowSubstitutions: z.boolean().optional(),
  /**
   * The version of the cart the order was placed from: the cart gives up the lines of that version and keeps
   * any the shopper wrote after. Absent on orders placed before it was sent (the cart is emptied).
   */
  cartVersion: z.int().nonnegative().optional(),
});
export type OrderPlacedData = z.infer<typeof OrderPlacedData>;

export const OrderConfirmedData = OrderRef.extend({
  paymentId: Id,
  deliveryId: Id,
  total: Money,
  etaMinutes: z.int().nonnegative(),
});
export type OrderConfirmedData = z.infer<typeof OrderConfirmedData>;

export const OrderRejectedData = OrderRef.extend({ reason: RejectReason, detail: z.string().nullable() });
export type OrderRejectedData = z.infer<typeof OrderRejectedData>;

export const OrderCancelledData = OrderRef.extend({ reason: RejectReason });
export type OrderCancelledData = z.infer<typeof OrderCancelledData>;

export const OrderStatusChangedData = OrderRef.extend({ status: OrderStatus });
export type OrderStatusChangedData = z.infer<typeof OrderStatusChangedData>;
/** v1 knew no PACKED; a v1 message is a v2 message as it is. */
const OrderStatusChangedDataV1 = OrderRef.extend({ status: OrderStatus.exclude(["PACKED"]) });

export const orderMessages = [
  defineMessage({ type: "OrderPlaced", topic, version: 1, schema: OrderPlacedData, subject: bySubject }),
  defineMessage({
    type: "OrderConfirmed",
    topic,
    version: 1,
    schema: OrderConfirmedData,
    subject: bySubject,
  }),
  defineMessage({ type: "OrderRejected", topic, version: 1, schema: OrderRejectedData, subject: bySubject }),
  defineMessage({
    type: "OrderCancelled",
    topic,
    version: 1,
    schema: OrderCancelledData,
    subject: bySubject,
  }),
  defineMessage({
    type: "OrderStatusChanged",
    topic,
    version: 2,
    schema: OrderStatusChangedData,
    subject: bySubject,
    legacy: [{ version: 1, schema: OrderStatusChangedDataV1, upcast: (data) => data }],
  }),
] as const;
