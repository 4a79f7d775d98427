import type { Line } from "@qc/contracts";
import { type CompiledQuery, type Kysely, type QueryResult, sql } from "kysely";
import { executeEach } from "../../shared/db/pipeline";
import type { Database, ReservationRow, ReservationStatus, StockRow } from "./schema";

/** The reservation of an order, locked so concurrent commands for that order run one after another. */
export function lockReservation(db: Kysely<Database>, orderId: string): Promise<ReservationRow | undefined> {
  return db
    .selectFrom("reservations")
    .selectAll()
    .where("order_id", "=", orderId)
    .forUpdate()
    .executeTakeFirst();
}

type Reservation = { orderId: string; storeId: string; lines: readonly Line[]; expiresAt: Date | string };
type ClaimRow = { claimed: boolean; line: number | null } & Partial<StockRow>;
export type Claim = { claimed: boolean; held: StockRow[] };

function claimAndHoldStatement(db: Kysely<Database>, reservation: Reservation): CompiledQuery<ClaimRow> {
  const { orderId, storeId, lines, expiresAt } = reservation;
  if (lines.length === 0) throw new Error(`order ${orderId}: a reservation needs at least one line`);
  const held = (index: number) => sql.ref(`held_${index}`);
  const holds = lines.map(
    (line, index) => sql`${held(index)} as (
      update stock set reserved = reserved + ${line.quantity}, updated_at = now()
      where store_id = ${storeId} and sku = ${line.sku} and on_hand - reserved >= ${line.quantity}
        and exists (select 1 from ${index === 0 ? sql.ref("claim") : held(index - 1)})
      returning *)`,
  );
  return sql<ClaimRow>`
    with claim as (
      insert into reservations (order_id, store_id, lines, status, expires_at)
      values (${orderId}, ${storeId}, ${JSON.stringify(lines)}, 'RESERVED', ${expiresAt})
      on conflict (order_id) do nothing
      returning order_id),
    ${sql.join(holds)}
    select exists (select 1 from claim) as claimed, held.*
    from (select 1) as one
    left join (${sql.join(
      lines.map((_, index) => sql`select ${index}::int as line, * from ${held(index)}`),
      sql` union all `,
    )}) as held on true
    order by held.line`.compile(db);
}

const claimOf = ({ rows }: QueryResult<ClaimRow>): Claim => ({
  claimed: rows[0]?.claimed === true,
  held: rows.filter((row) => row.line !== null).map(({ claimed: _, line: __, ...row }) => row as StockRow),
});

/**
 * Claims a fresh order's reservation and holds its lines in one statement: the claim is inserted (nothing
 * happens when the order has a reservation already), then each line, in the order given (SKU order, the order
 * every reservation locks stock rows in), is held by a conditional update that runs only if the claim and every
 * line before it succeeded. `held` is the rows of the lines held, a prefix of `lines`: shorter than `lines`
 * when a line was short of stock (the caller gives the prefix back). A line's update waits for the one before
 * it (it reads that one's result), so the rows are locked one after another as before, in one round trip
 * instead of one per line and one for the claim.
 */
export async function claimAndHold(db: Kysely<Database>, reservation: Reservation): Promise<Claim> {
  return claimOf(await db.executeQuery(claimAndHoldStatement(db, reservation)));
}

/**
 * claimAndHold for several fresh orders in one round trip (see executeEach): they run one after another in the
 * order given, as separate calls would, without waiting for each other's answers.
 */
export async function claimAndHoldEach(
  trx: Kysely<Database>,
  reservations: readonly Reservation[],
): Promise<Claim[]> {
  const answers = await executeEach(
    trx,
    reservations.map((reservation) => claimAndHoldStatement(trx, reservation)),
  );
  return answers.map(claimOf);
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
