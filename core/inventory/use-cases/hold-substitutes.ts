import type { Line, SubstituteHold } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { AppError, conflict } from "../../shared/http/errors";
import { enqueueLatest } from "../../shared/outbox/enqueue";
import { lockReservation, setSubstitutes } from "../db/reservation-repository";
import type { Database, StockRow } from "../db/schema";
import { moveLine, reserveLine } from "../db/stock-repository";
import { normalizeLines } from "../domain/lines";
import { levelsChanged, replyTo } from "../domain/messages";

/**
 * The units an order's live reservation holds for substitutes become exactly `request.lines`, in one
 * transaction: each SKU's difference from what was held before is taken from the store's available units
 * (a conditional update, like a reservation) or given back, SKU by SKU in the order every reservation locks
 * rows in. If any SKU is short, every short one is named (`lines.<i>.sku`) and nothing changes. Repeating the
 * same request changes nothing; a picker who chose otherwise after a failed completion replaces the hold.
 */
export async function holdSubstitutes(
  db: Kysely<Database>,
  orderId: string,
  request: SubstituteHold,
): Promise<SubstituteHold> {
  return transact(db, async (trx) => {
    const reservation = await lockReservation(trx, orderId);
    if (
      reservation?.status !== "RESERVED" ||
      reservation.store_id !== request.storeId ||
      reservation.expires_at.getTime() <= Date.now()
    )
      throw conflict("reservation_not_live", "The order holds no live reservation in this store");
    const wanted = normalizeLines(request.lines);
    const before = new Map(reservation.substitutes.map((line) => [line.sku, line.quantity]));
    const after = new Map(wanted.map((line) => [line.sku, line.quantity]));
    const skus = [...new Set([...before.keys(), ...after.keys()])].sort();
    const rows: StockRow[] = [];
    const short: string[] = [];
    for (const sku of skus) {
      const delta = (after.get(sku) ?? 0) - (before.get(sku) ?? 0);
      if (delta > 0) {
        const row = await reserveLine(trx, request.storeId, { sku, quantity: delta });
        if (row) rows.push(row);
        else short.push(sku);
      } else if (delta < 0) {
        rows.push(await moveLine(trx, request.storeId, { sku, quantity: -delta }, "release"));
      }
    }
    if (short.length > 0) throw unavailable(request.lines, short);
    await setSubstitutes(trx, orderId, wanted);
    enqueueLatest(trx, levelsChanged(rows, replyTo(null)));
    return { storeId: request.storeId, lines: wanted };
  });
}

/** 409 naming each requested line of a short SKU; thrown inside the transaction, so it rolls back. */
const unavailable = (lines: readonly Line[], short: readonly string[]) =>
  new AppError(
    409,
    "substitute_unavailable",
    "Not enough of a substitute is available in this store",
    lines.flatMap((line, index) =>
      short.includes(line.sku) ? [{ path: `lines.${index}.sku`, message: "not enough available" }] : [],
    ),
  );
