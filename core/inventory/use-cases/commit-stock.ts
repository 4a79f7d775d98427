import { createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { enqueue } from "../../shared/outbox/enqueue";
import { lockReservation, setReservationStatus } from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { moveLines } from "../db/stock-repository";
import { levelsChanged, refOf, released, replyTo } from "../domain/messages";

/**
 * CommitStock: the held units are sold (on hand and reserved both drop). Only a live reservation can be
 * committed: one past its expiry is released here and then (like a released or unknown one) answers
 * StockCommitFailed. A repeat of a commit answers StockCommitted again.
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

  if (reservation.expires_at.getTime() <= Date.now()) {
    // The sweeper has not reached it yet; expire it now so the late commit cannot win.
    const rows = await moveLines(trx, reservation.store_id, reservation.lines, "release");
    await setReservationStatus(trx, orderId, "EXPIRED");
    return enqueue(
      trx,
      released(refOf(reservation), "EXPIRED", meta),
      ...levelsChanged(rows, meta),
      refuse("EXPIRED"),
    );
  }
  const rows = await moveLines(trx, reservation.store_id, reservation.lines, "sell");
  await setReservationStatus(trx, orderId, "COMMITTED");
  await enqueue(
    trx,
    createMessage("StockCommitted", { orderId, storeId, lines: reservation.lines }, meta),
    ...levelsChanged(rows, meta),
  );
}
