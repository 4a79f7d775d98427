import { z } from "zod";
import { DeliveryStatus, Id } from "../common";

export const DeliveryParams = z.object({ orderId: Id });
export type DeliveryParams = z.infer<typeof DeliveryParams>;
export const DeliveryStatusBody = z.object({ status: DeliveryStatus });
export type DeliveryStatusBody = z.infer<typeof DeliveryStatusBody>;

export const DeliveryView = z.object({
  deliveryId: Id,
  orderId: Id,
  riderId: Id,
  status: z.enum(["ASSIGNED", ...DeliveryStatus.options, "FAILED", "CANCELLED"]),
  etaMinutes: z.int().nonnegative(),
});
export type DeliveryView = z.infer<typeof DeliveryView>;
