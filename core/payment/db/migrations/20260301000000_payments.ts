import { type Kysely, sql } from "kysely";

// Payment intents, their captures, the double-entry ledger, and the simulated card processor's own records.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("payment_intents")
    .addColumn("payment_id", "uuid", (col) => col.primaryKey())
    .addColumn("order_id", "uuid", (col) => col.notNull().unique())
    .addColumn("status", "text", (col) =>
      col
        .notNull()
        .check(sql`status in ('AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED', 'DECLINED', 'FAILED')`),
    )
    // Null on a tombstone: a void that arrived before (or instead of) its authorization.
    .addColumn("amount_minor", "bigint", (col) => col.check(sql`amount_minor >= 0`))
    .addColumn("currency", "text")
    .addColumn("provider_reference", "text")
    .addColumn("decline_code", "text")
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per captured intent: the primary key is what makes a capture happen at most once.
  await db.schema
    .createTable("payment_captures")
    .addColumn("payment_id", "uuid", (col) => col.primaryKey().references("payment_intents.payment_id"))
    .addColumn("amount_minor", "bigint", (col) => col.notNull().check(sql`amount_minor >= 0`))
    .addColumn("currency", "text", (col) => col.notNull())
    .addColumn("provider_reference", "text", (col) => col.notNull())
    .addColumn("captured_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("ledger_entries")
    .addColumn("id", "bigserial", (col) => col.primaryKey())
    .addColumn("txn_id", "uuid", (col) => col.notNull())
    .addColumn("payment_id", "uuid", (col) => col.notNull())
    .addColumn("movement", "text", (col) => col.notNull())
    .addColumn("account", "text", (col) => col.notNull())
    .addColumn("currency", "text", (col) => col.notNull())
    .addColumn("debit_minor", "bigint", (col) => col.notNull().check(sql`debit_minor >= 0`))
    .addColumn("credit_minor", "bigint", (col) => col.notNull().check(sql`credit_minor >= 0`))
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("ledger_entry_one_side", sql`debit_minor = 0 or credit_minor = 0`)
    .execute();
  await db.schema.createIndex("ledger_entries_txn").on("ledger_entries").column("txn_id").execute();
  // Checked at commit, once the whole transaction's entries are in: debits must equal credits.
  await sql`
    create function ledger_txn_balanced() returns trigger language plpgsql as $$
    begin
      if (select sum(debit_minor) - sum(credit_minor) from ledger_entries where txn_id = new.txn_id) <> 0 then
        raise exception 'ledger transaction % does not balance', new.txn_id;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger ledger_balanced after insert on ledger_entries
    deferrable initially deferred for each row execute function ledger_txn_balanced()`.execute(db);

  // The simulated processor's side: it remembers every idempotency key and each authorization's state.
  await db.schema
    .createTable("provider_authorizations")
    .addColumn("authorization_key", "text", (col) => col.primaryKey())
    .addColumn("reference", "text", (col) => col.notNull())
    .addColumn("token", "text")
    .addColumn("amount_minor", "bigint", (col) => col.notNull())
    .addColumn("currency", "text", (col) => col.notNull())
    .addColumn("status", "text", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable("provider_operations")
    .addColumn("idempotency_key", "text", (col) => col.primaryKey())
    .addColumn("operation", "text", (col) => col.notNull())
    .addColumn("authorization_key", "text", (col) => col.notNull())
    .addColumn("result", "jsonb", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "provider_operations",
    "provider_authorizations",
    "ledger_entries",
    "payment_captures",
    "payment_intents",
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await sql`drop function ledger_txn_balanced()`.execute(db);
}
