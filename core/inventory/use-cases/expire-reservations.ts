import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { enqueue, enqueueLatest } from "../../shared/outbox/enqueue";
import { claimExpired, setReservationStatus } from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { moveLines } from "../db/stock-repository";
import { heldLines } from "../domain/lines";
import { levelsChanged, refOf, released, replyTo } from "../domain/messages";

const BATCH = 100;

/**
 * Releases up to one batch of reservations past their expiry that were never committed, answering
 * StockReleased (reason EXPIRED) for each. Returns how many it released.
 */
export async function expireReservations(db: Kysely<Database>): Promise<number> {
  return transact(db, async (trx) => {
    const expired = await claimExpired(trx, BATCH);
    for (const reservation of expired) {
      const meta = replyTo(null);
      const rows = await moveLines(trx, reservation.store_id, heldLines(reservation), "release");
      await setReservationStatus(trx, reservation.order_id, "EXPIRED");
      await enqueue(trx, released(refOf(reservation), "EXPIRED", meta));
      enqueueLatest(trx, levelsChanged(rows, meta));
    }
    return expired.length;
  });
}

/** Releases every expired reservation, a batch at a time; SKIP LOCKED lets several instances sweep side by side. */
export async function expireAllReservations(db: Kysely<Database>): Promise<void> {
  while ((await expireReservations(db)) === BATCH);
}
