import { z } from "zod";
import { Address, DeliveryStatus, Id, IsoDateTime, LatLng, Sku } from "../common";
import { AmountMinor } from "../money";
import { defineMessage } from "./define";

const byOrder = (data: { orderId: string }) => data.orderId;
const commands = "delivery.commands.v1";
const events = "delivery.events.v1";
const replies = "delivery.replies.v1";

export const CreateDeliveryData = z.object({ orderId: Id, storeId: Id, address: Address });
export type CreateDeliveryData = z.infer<typeof CreateDeliveryData>;
export const CancelDeliveryData = z.object({ orderId: Id, storeId: Id });
export type CancelDeliveryData = z.infer<typeof CancelDeliveryData>;

export const DeliveryCreatedData = z.object({
  orderId: Id,
  storeId: Id,
  deliveryId: Id,
  riderId: Id,
  etaMinutes: z.int().nonnegative(),
});
export type DeliveryCreatedData = z.infer<typeof DeliveryCreatedData>;
export const DeliveryFailedData = z.object({
  orderId: Id,
  storeId: Id,
  reason: z.enum(["NO_RIDER", "OUT_OF_RANGE", "DELIVERY_FAILED"]),
});
export type DeliveryFailedData = z.infer<typeof DeliveryFailedData>;
export const DeliveryCancelledData = z.object({ orderId: Id, storeId: Id, deliveryId: Id.nullable() });
export type DeliveryCancelledData = z.infer<typeof DeliveryCancelledData>;
/** A cancel that came too late: the rider has the goods (`status` is where the delivery stands). */
export const DeliveryCancelRefusedData = z.object({
  orderId: Id,
  storeId: Id,
  deliveryId: Id,
  status: DeliveryStatus,
});
export type DeliveryCancelRefusedData = z.infer<typeof DeliveryCancelRefusedData>;
export const DeliveryStatusChangedData = z.object({
  orderId: Id,
  deliveryId: Id,
  riderId: Id,
  status: DeliveryStatus,
});
export type DeliveryStatusChangedData = z.infer<typeof DeliveryStatusChangedData>;
/** The rider of an order reported where they are (at most one a second is kept), with the ETA it gives. */
export const RiderPositionChangedData = z.object({
  orderId: Id,
  deliveryId: Id,
  riderId: Id,
  position: LatLng,
  at: IsoDateTime,
  etaMinutes: z.int().nonnegative(),
});
export type RiderPositionChangedData = z.infer<typeof RiderPositionChangedData>;

/**
 * Units of another SKU put in for a line's missing units, held for the order in the store's stock;
 * `unitPriceMinor` is the substitute's own price there (the order charges no more than the line's).
 */
export const PackedSubstitute = z.object({ sku: Sku, quantity: z.int().min(1), unitPriceMinor: AmountMinor });
export type PackedSubstitute = z.infer<typeof PackedSubstitute>;
/** One line of a packed order: what was ordered, what the picker put in the bag, and any substitute. */
export const PackedLine = z.object({
  sku: Sku,
  quantity: z.int().min(1),
  picked: z.int().nonnegative(),
  /** Absent on messages written before substitutions existed. */
  substitute: PackedSubstitute.optional(),
});
export type PackedLine = z.infer<typeof PackedLine>;
/** Store staff completed the order's pick task: the bag is ready for the rider. */
export const OrderPackedData = z.object({
  orderId: Id,
  storeId: Id,
  taskId: Id,
  lines: z.array(PackedLine).min(1),
  /** The shopper, to tell them what changed; absent on messages written before it was carried. */
  userId: Id.optional(),
});
export type OrderPackedData = z.infer<typeof OrderPackedData>;

/**
 * RabbitMQ work items (not Kafka messages: work that a picker or a worker pulls and acknowledges). A pick
 * task names its row in delivery.pick_tasks, the source of truth; a copy redelivered or published twice is
 * recognised there.
 */
export const PickTaskItem = z.object({ taskId: Id, orderId: Id, storeId: Id });
export type PickTaskItem = z.infer<typeof PickTaskItem>;
export const NotificationKind = z.enum([
  "ORDER_CONFIRMED",
  "PACKED",
  "PICKED_UP",
  "OUT_FOR_DELIVERY",
  "DELIVERED",
  "ITEMS_CHANGED",
]);
export type NotificationKind = z.infer<typeof NotificationKind>;
/** A message for the shopper; `notificationId` is the id of the Kafka event it tells of (one per event). */
export const ShopperNotification = z.object({
  notificationId: Id,
  orderId: Id,
  userId: Id,
  kind: NotificationKind,
  body: z.string().min(1).max(500),
});
export type ShopperNotification = z.infer<typeof ShopperNotification>;

export const deliveryMessages = [
  defineMessage({
    type: "CreateDelivery",
    topic: commands,
    version: 1,
    schema: CreateDeliveryData,
    subject: byOrder,
  }),
  defineMessage({
    type: "CancelDelivery",
    topic: commands,
    version: 1,
    schema: CancelDeliveryData,
    subject: byOrder,
  }),
  defineMessage({
    type: "DeliveryCreated",
    topic: replies,
    version: 1,
    schema: DeliveryCreatedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "DeliveryFailed",
    topic: replies,
    version: 1,
    schema: DeliveryFailedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "DeliveryCancelled",
    topic: replies,
    version: 1,
    schema: DeliveryCancelledData,
    subject: byOrder,
  }),
  defineMessage({
    type: "DeliveryCancelRefused",
    topic: replies,
    version: 1,
    schema: DeliveryCancelRefusedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "DeliveryStatusChanged",
    topic: events,
    version: 1,
    schema: DeliveryStatusChangedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "RiderPositionChanged",
    topic: events,
    version: 1,
    schema: RiderPositionChangedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "OrderPacked",
    topic: events,
    version: 1,
    schema: OrderPackedData,
    subject: byOrder,
  }),
] as const;
