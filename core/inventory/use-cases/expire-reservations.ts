import type { Kysely } from "kysely";
import { enqueue } from "../../shared/outbox/enqueue";
import type { Stoppable } from "../../shared/runtime/context";
import type { Logger } from "../../shared/telemetry/logger";
import { claimExpired, setReservationStatus } from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { moveLines } from "../db/stock-repository";
import { levelsChanged, refOf, released, replyTo } from "../domain/messages";

const BATCH = 100;

/**
 * Releases up to one batch of reservations past their expiry that were never committed, answering
 * StockReleased (reason EXPIRED) for each. Returns how many it released.
 */
export async function expireReservations(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const expired = await claimExpired(trx, BATCH);
    for (const reservation of expired) {
      const meta = replyTo(null);
      const rows = await moveLines(trx, reservation.store_id, reservation.lines, "release");
      await setReservationStatus(trx, reservation.order_id, "EXPIRED");
      await enqueue(trx, released(refOf(reservation), "EXPIRED", meta), ...levelsChanged(rows, meta));
    }
    return expired.length;
  });
}

/** Runs expireReservations every interval; SKIP LOCKED lets several instances sweep side by side. */
export function startExpirySweeper(db: Kysely<Database>, intervalMs: number, logger: Logger): Stoppable {
  let running: Promise<unknown> | null = null;
  const sweep = async () => {
    // A full batch means more may be waiting: keep going until the backlog is gone.
    while ((await expireReservations(db)) === BATCH);
  };
  const timer = setInterval(() => {
    // A sweep slower than the interval is not queued behind: the next tick simply skips.
    running ??= sweep()
      .catch((error) => logger.error({ err: error }, "reservation sweep failed"))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
