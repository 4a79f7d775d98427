import { createMessage, type MessageOf } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { enqueue } from "../../shared/outbox/enqueue";
import { insertReservation, lockReservation } from "../db/reservation-repository";
import type { Database, StockRow } from "../db/schema";
import { availableBySku, reserveLine } from "../db/stock-repository";
import { normalizeLines, shortfall } from "../domain/lines";
import { levelsChanged, replyTo, stateOf } from "./messages";

// The consumer may run many commands in one transaction, so each undo also drops its savepoint.
const undoReservation = async (trx: Kysely<Database>) => {
  await sql`rollback to savepoint reserve_stock`.execute(trx);
  await sql`release savepoint reserve_stock`.execute(trx);
};

/**
 * ReserveStock: holds every line or none. The reservation row claims the order first, then each line is
 * held by a conditional update; any short line rolls back to the savepoint and answers
 * StockReservationFailed. A repeat for a known order answers with that reservation's state instead
 * (so a reserve that arrives after its release stays released).
 */
export async function reserveStock(trx: Kysely<Database>, command: MessageOf<"ReserveStock">): Promise<void> {
  const { orderId, storeId, expiresAt } = command.data;
  const meta = replyTo(command);
  const existing = await lockReservation(trx, orderId);
  if (existing) return enqueue(trx, stateOf(existing, meta));

  const lines = normalizeLines(command.data.lines);
  await sql`savepoint reserve_stock`.execute(trx);
  if (!(await insertReservation(trx, { orderId, storeId, lines, status: "RESERVED", expiresAt }))) {
    // Another command for this order committed its reservation while we waited on the key.
    await undoReservation(trx);
    return reserveStock(trx, command);
  }
  const rows: StockRow[] = [];
  for (const line of lines) {
    const row = await reserveLine(trx, storeId, line);
    if (!row) {
      await undoReservation(trx);
      const available = await availableBySku(
        trx,
        storeId,
        lines.map((l) => l.sku),
      );
      const why = shortfall(lines, available, line.sku);
      return enqueue(trx, createMessage("StockReservationFailed", { orderId, storeId, ...why }, meta));
    }
    rows.push(row);
  }
  await sql`release savepoint reserve_stock`.execute(trx);
  await enqueue(
    trx,
    createMessage("StockReserved", { orderId, storeId, lines, expiresAt }, meta),
    ...levelsChanged(rows, meta),
  );
}
