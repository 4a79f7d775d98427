import { type Insertable, type Kysely, type QueryCreator, sql } from "kysely";
import { sendAhead } from "../../shared/db/pipeline";
import { prepared } from "../../shared/db/prepared";
import { type Movement, postingsFor } from "../domain/ledger";
import type { Database, LedgerEntriesTable } from "./schema";

// Every movement books one: built by Kysely once per shape (see prepared).
const insertPostings = prepared(
  (db: QueryCreator<Database>, insert: { rows: Insertable<LedgerEntriesTable>[] }) =>
    db.insertInto("ledger_entries").values(insert.rows),
);

/**
 * Books one movement as one balanced ledger transaction (the deferred trigger re-checks at commit). Nothing
 * reads the rows back: in a transaction they go out with its next statement (see sendAhead).
 */
export async function post(
  db: Kysely<Database>,
  entry: { paymentId: string; movement: Movement; amountMinor: number; currency: string },
): Promise<void> {
  const txnId = Bun.randomUUIDv7();
  await sendAhead(
    db,
    insertPostings(db, {
      rows: postingsFor(entry.movement, entry.amountMinor).map((posting) => ({
        txn_id: txnId,
        payment_id: entry.paymentId,
        movement: entry.movement,
        account: posting.account,
        currency: entry.currency,
        debit_minor: posting.debitMinor,
        credit_minor: posting.creditMinor,
      })),
    }),
  );
}

/** Totals, the balance of each account, and how many ledger transactions do not balance (should be 0). */
export async function ledgerBalance(db: Kysely<Database>) {
  const accounts = await db
    .selectFrom("ledger_entries")
    .select([
      "account",
      "currency",
      sql<number>`sum(debit_minor)::bigint`.as("debit"),
      sql<number>`sum(credit_minor)::bigint`.as("credit"),
    ])
    .groupBy(["account", "currency"])
    .orderBy("account")
    .execute();
  const unbalanced = await db
    .selectFrom("ledger_entries")
    .select("txn_id")
    .groupBy("txn_id")
    .having(sql<boolean>`sum(debit_minor) <> sum(credit_minor)`)
    .execute();
  const debitMinor = accounts.reduce((total, a) => total + a.debit, 0);
  const creditMinor = accounts.reduce((total, a) => total + a.credit, 0);
  return {
    balanced: debitMinor === creditMinor && unbalanced.length === 0,
    debitMinor,
    creditMinor,
    unbalancedTransactions: unbalanced.length,
    accounts: accounts.map((a) => ({
      account: a.account,
      currency: a.currency,
      balanceMinor: a.debit - a.credit,
    })),
  };
}
