import type { Line } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Database, ReservationRow, ReservationStatus } from "./schema";

/** The reservation of an order, locked so concurrent commands for that order run one after another. */
export function lockReservation(db: Kysely<Database>, orderId: string): Promise<ReservationRow | undefined> {
  return db
    .selectFrom("reservations")
    .selectAll()
    .where("order_id", "=", orderId)
    .forUpdate()
    .executeTakeFirst();
}

/** Records a reservation (or, for a release that came first, a tombstone that blocks a late reserve). */
export async function insertReservation(
  db: Kysely<Database>,
  reservation: {
    orderId: string;
    storeId: string;
    lines: readonly Line[];
    status: ReservationStatus;
    expiresAt: Date | string;
  },
): Promise<boolean> {
  const inserted = await db
    .insertInto("reservations")
    .values({
      order_id: reservation.orderId,
      store_id: reservation.storeId,
      lines: JSON.stringify(reservation.lines),
      status: reservation.status,
      expires_at: reservation.expiresAt,
    })
    .onConflict((oc) => oc.column("order_id").doNothing())
    .returning("order_id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Drops the claim of a reservation that could not hold every line. */
export async function deleteReservation(db: Kysely<Database>, orderId: string): Promise<void> {
  await db.deleteFrom("reservations").where("order_id", "=", orderId).execute();
}

export async function setReservationStatus(db: Kysely<Database>, orderId: string, status: ReservationStatus) {
  await db
    .updateTable("reservations")
    .set({ status, updated_at: sql`now()` })
    .where("order_id", "=", orderId)
    .execute();
}

/** Live reservations past their expiry, locked; rows another sweeper holds are skipped, not waited for. */
export function claimExpired(db: Kysely<Database>, limit: number): Promise<ReservationRow[]> {
  return db
    .selectFrom("reservations")
    .selectAll()
    .where("status", "=", "RESERVED")
    .where("expires_at", "<", sql<Date>`now()`)
    .orderBy("expires_at")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** The units the reservation holds for substitutes become `lines`. */
export async function setSubstitutes(db: Kysely<Database>, orderId: string, lines: readonly Line[]) {
  await db
    .updateTable("reservations")
    .set({ substitutes: JSON.stringify(lines), updated_at: sql`now()` })
    .where("order_id", "=", orderId)
    .execute();
}

/** Committed: from now on the row's lines are the units sold (what a later release puts back on the shelf). */
export async function recordSale(db: Kysely<Database>, orderId: string, sold: readonly Line[]) {
  await db
    .updateTable("reservations")
    .set({ status: "COMMITTED", lines: JSON.stringify(sold), substitutes: "[]", updated_at: sql`now()` })
    .where("order_id", "=", orderId)
    .execute();
}
