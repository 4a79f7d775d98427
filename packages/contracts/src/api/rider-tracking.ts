import { z } from "zod";
import { Id, IsoDateTime } from "../common";

/** Where a rider is, as their app streams it to delivery (`qc.delivery.v1.RiderTracking/Track`). */
export const RiderPosition = z.object({
  orderId: Id,
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  at: IsoDateTime,
});
export type RiderPosition = z.infer<typeof RiderPosition>;

/**
 * What delivery streams back for a position: the recomputed ETA and what to do next (`instruction`), or, for
 * a position it did not keep, `notice` says why (`etaMinutes` then null).
 */
export const RiderUpdate = z.object({
  orderId: Id,
  etaMinutes: z.int().nonnegative().nullable(),
  instruction: z.string(),
  notice: z.enum(["rate_limited", "not_your_delivery", "invalid_position", "delivery_closed"]).nullable(),
});
export type RiderUpdate = z.infer<typeof RiderUpdate>;
