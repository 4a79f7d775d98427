import { z } from "zod";
import { Id, IsoDateTime, Line, Sku } from "../common";
import { defineMessage } from "./define";

const Reservation = z.object({ orderId: Id, storeId: Id, lines: z.array(Line).min(1) });
const byOrder = (data: { orderId: string }) => data.orderId;
const commands = "inventory.commands.v1";
const events = "inventory.events.v1";
const replies = "inventory.replies.v1";

export const ReserveStockData = Reservation.extend({ expiresAt: IsoDateTime });
export type ReserveStockData = z.infer<typeof ReserveStockData>;
/**
 * `picked`: what goes to the shopper — the picked units of the held lines and the substitutes held for them;
 * the rest of the hold goes back on the shelf. Absent (an order packed without a report): every held line.
 */
export const CommitStockData = Reservation.extend({ picked: z.array(Line).min(1).optional() });
export type CommitStockData = z.infer<typeof CommitStockData>;
export const ReleaseStockData = Reservation;
export type ReleaseStockData = z.infer<typeof ReleaseStockData>;

export const StockReservedData = Reservation.extend({ expiresAt: IsoDateTime });
export type StockReservedData = z.infer<typeof StockReservedData>;

export const UnavailableLine = z.object({
  sku: Sku,
  requested: z.int().min(1),
  available: z.int().nonnegative(),
});
export type UnavailableLine = z.infer<typeof UnavailableLine>;

export const StockReservationFailedData = z.object({
  orderId: Id,
  storeId: Id,
  reason: z.enum(["OUT_OF_STOCK", "UNKNOWN_SKU"]),
  unavailable: z.array(UnavailableLine),
});
export type StockReservationFailedData = z.infer<typeof StockReservationFailedData>;

export const StockCommittedData = Reservation;
export type StockCommittedData = z.infer<typeof StockCommittedData>;
/** `reason` says whether the saga released it or it expired uncommitted (absent on older messages). */
export const StockReleasedData = Reservation.extend({ reason: z.enum(["RELEASED", "EXPIRED"]).optional() });
export type StockReleasedData = z.infer<typeof StockReleasedData>;

/** A CommitStock that found no live reservation: it expired, was released, or never existed. */
export const StockCommitFailedData = z.object({
  orderId: Id,
  storeId: Id,
  reason: z.enum(["EXPIRED", "RELEASED", "NOT_RESERVED"]),
});
export type StockCommitFailedData = z.infer<typeof StockCommitFailedData>;

export const StockLevelChangedData = z.object({
  storeId: Id,
  sku: Sku,
  onHand: z.int().nonnegative(),
  reserved: z.int().nonnegative(),
  available: z.int().nonnegative(),
});
export type StockLevelChangedData = z.infer<typeof StockLevelChangedData>;

export const inventoryMessages = [
  defineMessage({
    type: "ReserveStock",
    topic: commands,
    version: 1,
    schema: ReserveStockData,
    subject: byOrder,
  }),
  defineMessage({
    type: "CommitStock",
    topic: commands,
    version: 1,
    schema: CommitStockData,
    subject: byOrder,
  }),
  defineMessage({
    type: "ReleaseStock",
    topic: commands,
    version: 1,
    schema: ReleaseStockData,
    subject: byOrder,
  }),
  defineMessage({
    type: "StockReserved",
    topic: replies,
    version: 1,
    schema: StockReservedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "StockReservationFailed",
    topic: replies,
    version: 1,
    schema: StockReservationFailedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "StockCommitted",
    topic: replies,
    version: 1,
    schema: StockCommittedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "StockCommitFailed",
    topic: replies,
    version: 1,
    schema: StockCommitFailedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "StockReleased",
    topic: replies,
    version: 1,
    schema: StockReleasedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "StockLevelChanged",
    topic: events,
    version: 1,
    schema: StockLevelChangedData,
    // Keyed by store+SKU so changes to one stock level stay in order.
    subject: (data) => `${data.storeId}:${data.sku}`,
  }),
] as const;
