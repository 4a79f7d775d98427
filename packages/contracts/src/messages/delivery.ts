import { z } from "zod";
import { Address, DeliveryStatus, Id } from "../common";
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
] as const;
