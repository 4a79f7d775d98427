import { createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { enqueue, enqueueLatest } from "../../shared/outbox/enqueue";
import { lockReservation, recordSale, setReservationStatus } from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { moveLine, moveLines } from "../db/stock-repository";
import { heldLines, splitHeld } from "../domain/lines";
import { levelsChanged, refOf, released, replyTo } from "../domain/messages";

/**
 * CommitStock: what goes to the shopper is sold (on hand and reserved both drop) — the picked units and the
 * substitutes held for the order, or every held line when the command names no picked lines — and the rest of
 * the hold (missing items) is released, available again. Only a live reservation can be committed: one past
 * its expiry is released here and then (like a released or unknown one) answers StockCommitFailed. A repeat of
 * a commit answers StockCommitted again, with the units sold.
 */
export async function commitStock(trx: Kysely<Database>, command: MessageOf<"CommitStock">): Promise<void> {
  const { orderId, storeId } = command.data;
  const meta = replyTo(command);
  const reservation = await lockReservation(trx, orderId);
  const refuse = (reason: "EXPIRED" | "RELEASED" | "NOT_RESERVED") =>
    createMessage("StockCommitFailed", { orderId, storeId, reason }, meta);

  if (!reservation) return enqueue(trx, refuse("NOT_RESERVED"));
  if (reservation.status === "COMMITTED") {
    const { lines } = reservation;
    return enqueue(trx, createMessage("StockCommitted", { orderId, storeId, lines }, meta));
  }
  if (reservation.status !== "RESERVED") return enqueue(trx, refuse(reservation.status));

  const held = heldLines(reservation);
  if (reservation.expires_at.getTime() <= Date.now()) {
    // The sweeper has not reached it yet; expire it now so the late commit cannot win.
    const rows = await moveLines(trx, reservation.store_id, held, "release");
    await setReservationStatus(trx, orderId, "EXPIRED");
    enqueueLatest(trx, levelsChanged(rows, meta));
    return enqueue(trx, released(refOf(reservation), "EXPIRED", meta), refuse("EXPIRED"));
  }
  const { sold, moves } = splitHeld(held, command.data.picked ?? reservation.lines);
  const rows = [];
  for (const { line, move } of moves) rows.push(await moveLine(trx, reservation.store_id, line, move));
  await recordSale(trx, orderId, sold);
  await enqueue(trx, createMessage("StockCommitted", { orderId, storeId, lines: sold }, meta));
  enqueueLatest(trx, levelsChanged(rows, meta));
}
