import { type AnyMessage, createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { AheadOfTurn, firstOfTheirSubject } from "../../shared/consumer/ahead-of-turn";
import { OneByOne } from "../../shared/consumer/one-by-one";
import { enqueue, enqueueLatest } from "../../shared/outbox/enqueue";
import { metrics } from "../../shared/telemetry/metrics";
import {
  type Claim,
  claimAndHold,
  claimAndHoldEach,
  deleteReservation,
  lockReservation,
} from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { availableBySku, moveLines } from "../db/stock-repository";
import { normalizeLines, shortfall } from "../domain/lines";
import { levelsChanged, replyTo, stateOf } from "../domain/messages";

/**
 * ReserveStock: holds every line or none. One statement claims the order with its reservation row (inserted
 * straight away: a fresh order, the common case, needs no lookup before it) and holds each line by a
 * conditional update, in SKU order, until the first short one (claimAndHold); then the lines held are given
 * back and the claim dropped, and
 * StockReservationFailed names every short line. A repeat for a known order answers with that
 * reservation's state instead (so a reserve that arrives after its release stays released).
 * The undo is explicit rather than a savepoint: the consumer may run a hundred commands in one
 * transaction, and that many subtransactions overflow Postgres' per-backend subxid cache, which slows
 * every snapshot on the server (measured: a 100-command batch fell from 276 to 66 reservations/s).
 */
export async function reserveStock(trx: Kysely<Database>, command: MessageOf<"ReserveStock">): Promise<void> {
  const { orderId, storeId, expiresAt } = command.data;
  const meta = replyTo(command);
  const lines = normalizeLines(command.data.lines);
  const ahead = claimedAhead.take(trx, command.id);
  const { claimed, held } = ahead ?? (await claimAndHold(trx, { orderId, storeId, lines, expiresAt }));
  // The orders claimed after this one in the batch were held before its lines were given back (and before any
  // release ahead of it in the batch): one of them may have been refused stock it would have had.
  if (ahead && held.length < lines.length && claimed)
    throw new OneByOne(`order ${orderId} was short of stock in a batch claimed ahead`);
  if (!claimed) {
    // The order has a reservation (or a release's tombstone) already: answer with its state. Gone again by
    // the time it is locked (a failed reserve deletes its claim), the claim is tried afresh.
    const existing = await lockReservation(trx, orderId);
    if (existing) return enqueue(trx, stateOf(existing, meta));
    return reserveStock(trx, command);
  }
  const short = lines[held.length];
  if (short) {
    await moveLines(trx, storeId, lines.slice(0, held.length), "release");
    await deleteReservation(trx, orderId);
    const available = await availableBySku(
      trx,
      storeId,
      lines.map((l) => l.sku),
    );
    const why = shortfall(lines, available, short.sku);
    if (why.reason === "OUT_OF_STOCK") metrics.stockConflict(storeId);
    return enqueue(trx, createMessage("StockReservationFailed", { orderId, storeId, ...why }, meta));
  }
  await enqueue(trx, createMessage("StockReserved", { orderId, storeId, lines, expiresAt }, meta));
  enqueueLatest(trx, levelsChanged(held, meta));
}

// Claims made for a batch's fresh orders before their turn (claimAhead).
const claimedAhead = new AheadOfTurn<Claim>();

/**
 * Claims the reservations of a batch's ReserveStock commands in one round trip, before the batch is applied
 * (inventory's beforeApply, with its stock rows locked): each command's turn then takes its claim instead of
 * waiting for one of its own, so the hot rows are held for one round trip rather than one per order. Only the
 * first command of an order in the batch is claimed ahead: a release before its reserve must be seen by it.
 * The claims run in the batch's order, as the commands would; a claim short of stock sends the batch back to be
 * handled one by one (see reserveStock), where stock given back in between is seen.
 */
export async function claimAhead(trx: Kysely<Database>, messages: readonly AnyMessage[]): Promise<void> {
  const fresh = firstOfTheirSubject(messages, "ReserveStock");
  if (fresh.length < 2) return;
  const claims = await claimAndHoldEach(
    trx,
    fresh.map(({ data: { orderId, storeId, lines, expiresAt } }) => ({
      orderId,
      storeId,
      lines: normalizeLines(lines),
      expiresAt,
    })),
  );
  claimedAhead.keep(trx, new Map(fresh.map((command, index) => [command.id, claims[index] as Claim])));
}
