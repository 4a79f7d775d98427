import {
  type AnyMessage,
  causedBy,
  createMessage,
  type Line,
  type MessageMeta,
  type StockReleasedData,
} from "@qc/contracts";
import type { ReservationRow, StockRow } from "../db/schema";

/** Meta for what inventory says in answer to a command (or on its own, with a fresh correlation). */
export const replyTo = (
  cause: Pick<AnyMessage, "id" | "correlationId" | "traceparent"> | null,
): MessageMeta =>
  cause ? causedBy(cause, "inventory") : { source: "inventory", correlationId: Bun.randomUUIDv7() };

/** StockLevelChanged for each row as it is now (catalog and the edge cache feed on these). */
export const levelsChanged = (rows: readonly StockRow[], meta: MessageMeta) =>
  rows.map((row) =>
    createMessage(
      "StockLevelChanged",
      {
        storeId: row.store_id,
        sku: row.sku,
        onHand: row.on_hand,
        reserved: row.reserved,
        available: row.on_hand - row.reserved,
      },
      meta,
    ),
  );

type ReservationRef = { orderId: string; storeId: string; lines: Line[] };

/** The order, store and lines of a reservation row, as messages carry them. */
export const refOf = (reservation: ReservationRow): ReservationRef => ({
  orderId: reservation.order_id,
  storeId: reservation.store_id,
  lines: reservation.lines,
});

/** What a reservation's current state answers to a repeated or late command about it. */
export function stateOf(reservation: ReservationRow, meta: MessageMeta) {
  if (reservation.status === "RESERVED" || reservation.status === "COMMITTED") {
    return createMessage(
      "StockReserved",
      { ...refOf(reservation), expiresAt: reservation.expires_at.toISOString() },
      meta,
    );
  }
  return released(refOf(reservation), reservation.status === "EXPIRED" ? "EXPIRED" : "RELEASED", meta);
}

export const released = (
  reservation: ReservationRef,
  reason: NonNullable<StockReleasedData["reason"]>,
  meta: MessageMeta,
) => createMessage("StockReleased", { ...reservation, reason }, meta);
