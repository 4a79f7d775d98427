import { z } from "zod";
import { DeliveryStatus, Id, IsoDateTime, Sku } from "../common";

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

/** POST /v1/pick-tasks/:taskId/complete */
export const PickTaskParams = z.object({ taskId: Id });
export type PickTaskParams = z.infer<typeof PickTaskParams>;

/** A pick task as its picker sees it; `name` is null while delivery has not heard of the product. */
export const PickTaskView = z.object({
  taskId: Id,
  orderId: Id,
  storeId: Id,
  express: z.boolean(),
  /** The shopper accepts substitutes for missing items. */
  allowSubstitutions: z.boolean(),
  status: z.enum(["CLAIMED", "PACKED"]),
  lines: z.array(z.object({ sku: Sku, name: z.string().nullable(), quantity: z.int().min(1) })),
  /** The claim lapses then: the task goes back to the store's queue for another picker. */
  claimedUntil: IsoDateTime,
  attempt: z.int().min(1),
});
export type PickTaskView = z.infer<typeof PickTaskView>;

/**
 * What the picker put in the bag, one entry per ordered SKU: `picked` of the ordered units (0 to all of them;
 * the rest are missing and not charged) and, when the shopper allowed it, a `substituteSku` put in for the
 * missing units.
 */
export const CompletePickTaskBody = z.object({
  lines: z
    .array(z.object({ sku: Sku, picked: z.int().nonnegative().max(999), substituteSku: Sku.optional() }))
    .min(1)
    .max(200),
});
export type CompletePickTaskBody = z.infer<typeof CompletePickTaskBody>;
