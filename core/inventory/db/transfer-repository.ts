import { type Kysely, sql } from "kysely";
import type { Database, NewStockTransfer, StockTransferRow, TransferReason, TransferState } from "./schema";

/**
 * Logs a new transfer as PREPARING under its idempotency key, committed before anything is prepared;
 * undefined when the key is taken (the earlier transfer answers).
 */
export function insertTransfer(db: Kysely<Database>, transfer: Omit<NewStockTransfer, "state">) {
  return db
    .insertInto("stock_transfers")
    .values({ ...transfer, state: "PREPARING" })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function transferByKey(db: Kysely<Database>, key: string) {
  return db.selectFrom("stock_transfers").selectAll().where("idempotency_key", "=", key).executeTakeFirst();
}

export function transferById(db: Kysely<Database>, transferId: string) {
  return db
    .selectFrom("stock_transfers")
    .selectAll()
    .where("transfer_id", "=", transferId)
    .executeTakeFirst();
}

/** Where each state may go; a move from anywhere else changes nothing. */
const from: Record<Exclude<TransferState, "PREPARING">, TransferState> = {
  COMMITTING: "PREPARING",
  ABORTING: "PREPARING",
  COMMITTED: "COMMITTING",
  ABORTED: "ABORTING",
};

/**
 * Moves a transfer to its next state if it is still in the one before: the coordinator's commit decision
 * and recovery's presumed abort of the same transfer race on this row, and exactly one of them wins.
 * Returns the row as it is afterwards (moved or not).
 */
export async function moveTransfer(
  db: Kysely<Database>,
  transferId: string,
  to: Exclude<TransferState, "PREPARING">,
  reason: TransferReason | null = null,
): Promise<StockTransferRow> {
  const moved = await db
    .updateTable("stock_transfers")
    .set({
      state: to,
      ...(to === "COMMITTING" || to === "ABORTING" ? { decided_at: sql`now()`, reason } : {}),
      ...(to === "COMMITTED" || to === "ABORTED" ? { finished_at: sql`now()` } : {}),
    })
    .where("transfer_id", "=", transferId)
    .where("state", "=", from[to])
    .returningAll()
    .executeTakeFirst();
  return (
    moved ??
    (await db
      .selectFrom("stock_transfers")
      .selectAll()
      .where("transfer_id", "=", transferId)
      .executeTakeFirstOrThrow())
  );
}

/** Transfers not finished yet, each marked stale when its prepare phase is long over (`staleAfterMs`). */
export function unfinishedTransfers(db: Kysely<Database>, staleAfterMs: number) {
  return db
    .selectFrom("stock_transfers")
    .selectAll()
    .select(sql<boolean>`created_at < now() - make_interval(secs => ${staleAfterMs / 1000})`.as("stale"))
    .where("state", "in", ["PREPARING", "COMMITTING", "ABORTING"])
    .orderBy("created_at")
    .execute();
}

export function transfersByIds(db: Kysely<Database>, transferIds: readonly string[]) {
  if (transferIds.length === 0) return Promise.resolve([]);
  return db.selectFrom("stock_transfers").selectAll().where("transfer_id", "in", transferIds).execute();
}
