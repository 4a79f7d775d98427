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
 * Makes this session the schema's one publishing relay, if no other session is: a session-level advisory
 * lock on the schema's outbox, held until released or until the session ends (a killed relay's connection
 * closes, and the lock goes with it). Several relays of one service (instances) stand by; the one holding the
 * lock publishes every key, so no row goes out twice concurrently and every key goes out in seq order without
 * a lock per key or a transaction per batch. The lock space is the schema: services sharing a database do
 * not contend.
 */
export async function tryLead(session: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ leads: boolean }>`
    select pg_try_advisory_lock(hashtext(current_schema() || '.outbox'), 0) as leads`.execute(session);
  return rows[0]?.leads === true;
}

/**
 * Gives the lead up, so another relay takes over at once (used on stop; a dead session gives it up too). All
 * of the session's advisory locks: a connection must never go back to its pool holding one.
 */
export async function stepDown(session: Kysely<any>): Promise<void> {
  await sql`select pg_advisory_unlock_all()`.execute(session);
}

/** Rows a relay published, and when Kafka acknowledged them: what their mark records. */
export interface Published {
  rows: OutboxRow[];
  at: Date;
}

const seqsOf = (published: Published | null) => (published?.rows ?? []).map((row) => row.seq);

/** The mark of published rows: the instant Kafka acknowledged them. */
const mark = (published: Published | null) =>
  sql`update outbox set published_at = ${published?.at ?? null} where seq = any(${seqsOf(published)}::bigint[])`;

/**
 * The oldest unpublished rows, after marking `published` (an earlier round's rows) in the same statement:
 * under load a round is one statement, not two. Only the leading relay publishes, so reading the rows is
 * claiming them. Seq order equals commit order per key as long as writers of one aggregate are serialised
 * (they are: they lock or version the aggregate row before enqueueing).
 */
export async function nextBatch(
  session: Kysely<any>,
  batchSize: number,
  published: Published | null,
): Promise<OutboxRow[]> {
  // The statement's one snapshot still shows the rows it marks as unpublished: they are left out by seq.
  const { rows } = await sql<OutboxRow>`
    with marked as (${mark(published)})
    select seq, id, topic, key, payload, headers from outbox
    where published_at is null and seq <> all(${seqsOf(published)}::bigint[])
    order by seq limit ${batchSize}`.execute(session);
  return rows;
}

/** Marks published rows on their own, one statement in its own transaction. */
export async function markPublished(session: Kysely<any>, published: Published): Promise<void> {
  await mark(published).execute(session);
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
