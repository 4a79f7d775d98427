import { type Kysely, sql } from "kysely";

export interface OutboxRow {
  seq: number;
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Claims the next batch of unpublished rows for this transaction, oldest first, so that several relays can
 * run at once without publishing a row twice concurrently or one key's rows out of order.
 *
 * Why per-key advisory locks and not plain FOR UPDATE SKIP LOCKED on rows: with row locks, relay A may hold
 * row 5 of key k while relay B skips it and publishes row 9 of k first. Here a relay first takes a
 * transaction-scoped advisory lock on each key among the oldest unpublished rows (skipping keys another
 * relay holds), and only then reads the rows of the keys it won, in a fresh snapshot. While it holds a key
 * nobody else can publish that key, and it always starts from that key's oldest unpublished row, so each
 * key is published by one relay at a time, in seq order. Locks go with the commit (or the dead connection
 * of a killed relay). A hash collision between two keys only serialises them, which is harmless. The lock
 * space is the schema, so services sharing a database do not contend.
 *
 * Seq order equals commit order per key as long as writers of one aggregate are serialised (they are: they
 * lock or version the aggregate row before enqueueing).
 */
export async function claimBatch(trx: Kysely<any>, batchSize: number): Promise<OutboxRow[]> {
  // OFFSET 0 keeps the planner from pushing the volatile lock call below the LIMIT of the scan window.
  const { rows: keys } = await sql<{ key: string }>`
    select key from (
      select key, min(seq) as first_seq from (
        select key, seq from outbox where published_at is null order by seq limit ${batchSize}
      ) oldest group by key order by first_seq offset 0
    ) candidates
    where pg_try_advisory_xact_lock(hashtext(current_schema() || '.outbox'), hashtext(key))`.execute(trx);
  if (keys.length === 0) return [];
  const { rows } = await sql<OutboxRow>`
    select seq, id, topic, key, payload, headers from outbox
    where published_at is null and key = any(${keys.map((row) => row.key)})
    order by seq limit ${batchSize}`.execute(trx);
  return rows;
}

/** Marks claimed rows published, in the transaction that claimed them. */
export async function markPublished(trx: Kysely<any>, rows: OutboxRow[]): Promise<void> {
  await sql`update outbox set published_at = now() where seq = any(${rows.map((row) => row.seq)})`.execute(
    trx,
  );
}

/** Deletes rows published before the cutoff, a chunk at a time so no single delete holds locks for long. */
export async function prunePublished(db: Kysely<any>, olderThan: Date, chunk = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from outbox where seq in (
        select seq from outbox where published_at < ${olderThan} order by seq limit ${chunk})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    total += deleted;
    if (deleted < chunk) return total;
  }
}
