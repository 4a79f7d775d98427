import type { MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { enqueue, enqueueLatest } from "../../shared/outbox/enqueue";
import { insertReservation, lockReservation, setReservationStatus } from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { moveLines } from "../db/stock-repository";
import { heldLines, normalizeLines } from "../domain/lines";
import { levelsChanged, refOf, released, replyTo } from "../domain/messages";

/**
 * ReleaseStock, the compensation of ReserveStock (and of CommitStock): a held reservation gives its units
 * back (substitutes held for it included); a committed one puts the sold units back on the shelf. Releasing what is already released or
 * expired changes nothing; releasing an order never reserved leaves a RELEASED tombstone so a ReserveStock
 * that arrives later cannot hold stock for a saga that already gave up. Every case answers StockReleased.
 */
export async function releaseStock(trx: Kysely<Database>, command: MessageOf<"ReleaseStock">): Promise<void> {
  const { orderId, storeId } = command.data;
  const meta = replyTo(command);
  const reservation = await lockReservation(trx, orderId);
  if (!reservation) {
    const lines = normalizeLines(command.data.lines);
    if (
      !(await insertReservation(trx, { orderId, storeId, lines, status: "RELEASED", expiresAt: new Date() }))
    )
      return releaseStock(trx, command);
    return enqueue(trx, released({ orderId, storeId, lines }, "RELEASED", meta));
  }
  if (reservation.status === "RELEASED" || reservation.status === "EXPIRED") {
    return enqueue(trx, released(refOf(reservation), reservation.status, meta));
  }
  const rows =
    reservation.status === "COMMITTED"
      ? await moveLines(trx, reservation.store_id, reservation.lines, "restock")
      : await moveLines(trx, reservation.store_id, heldLines(reservation), "release");
  await setReservationStatus(trx, orderId, "RELEASED");
  await enqueue(trx, released(refOf(reservation), "RELEASED", meta));
  enqueueLatest(trx, levelsChanged(rows, meta));
}
