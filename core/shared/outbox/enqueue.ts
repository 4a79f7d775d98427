import { type AnyMessage, topicOf } from "@qc/contracts";
import type { Insertable, Kysely, QueryCreator } from "kysely";
import type { MessagingTables, OutboxTable } from "../db/messaging";
import { sendAhead } from "../db/pipeline";
import { prepared } from "../db/prepared";
import { afterCommit, beforeCommit, runsBeforeCommit } from "../db/transaction";
import { injectTraceHeaders } from "../telemetry/tracing";
import { outboxCommitted } from "./wakeup";

type OutboxRow = Insertable<OutboxTable>;
type TraceHeaders = ReturnType<typeof injectTraceHeaders>;

/** A message's row, with the active span's `traceparent` and the order in scope as baggage. */
function rowOf(message: AnyMessage, active: TraceHeaders): OutboxRow {
  const traceparent = active.traceparent ?? message.traceparent ?? null;
  return {
    id: message.id,
    topic: topicOf(message.type),
    key: message.subject,
    type: message.type,
    payload: JSON.stringify({ ...message, traceparent }),
    headers: JSON.stringify(active.traceparent ? active : traceparent ? { traceparent } : {}),
  };
}

const insertOutbox = prepared((db: QueryCreator<MessagingTables>, insert: { rows: OutboxRow[] }) =>
  db.insertInto("outbox").values(insert.rows),
);

async function insertRows(trx: Kysely<any>, rows: OutboxRow[], { withCommit = false } = {}): Promise<void> {
  if (rows.length === 0) return;
  const insert = insertOutbox(trx, { rows });
  // Written just before the commit, the rows go out with it, in the same round trip (see sendAhead).
  await (withCommit ? sendAhead(trx, insert) : trx.executeQuery(insert));
  afterCommit(trx, outboxCommitted);
}

interface Pending {
  rows: OutboxRow[];
  /** The last row given for each type and key by enqueueLatest. */
  latest: Map<string, OutboxRow>;
}

const pendingOf = new WeakMap<Kysely<any>, Pending>();

/** The rows a `transact` transaction writes in one insert just before it commits; none for any other. */
function pending(trx: Kysely<any>): Pending | undefined {
  const known = pendingOf.get(trx);
  if (known || !runsBeforeCommit(trx)) return known;
  const created: Pending = { rows: [], latest: new Map() };
  beforeCommit(trx, () => {
    // Written now: a later enqueue in this transaction (from another before-commit hook) gathers anew.
    pendingOf.delete(trx);
    return insertRows(trx, [...created.rows, ...created.latest.values()], { withCommit: true });
  });
  pendingOf.set(trx, created);
  return created;
}

/**
 * Writes outgoing messages into the service's outbox. Call it with the transaction that writes the
 * state change, so both commit or neither does; the relay publishes them afterwards, woken by the commit.
 * In a transaction opened by `transact` the rows of every call are written together in one insert just
 * before the commit (a group commit of twenty replies writes one statement, not twenty), in call order.
 *
 * Each message carries the active span's `traceparent` (the HTTP request or consumed message that wrote
 * it), falling back to the one it was created with, so every hop of a saga joins the trace that caused it
 * without any service passing trace context to createMessage. The relay sends it as a Kafka header, with
 * the scope's order id as `baggage`.
 */
export async function enqueue(trx: Kysely<any>, ...messages: AnyMessage[]): Promise<void> {
  const active = injectTraceHeaders();
  const rows = messages.map((message) => rowOf(message, active));
  const deferred = pending(trx);
  if (deferred) deferred.rows.push(...rows);
  else await insertRows(trx, rows);
}

/**
 * Enqueues only the last of the messages given for each type and key (by default the message's subject, its
 * Kafka key) in the transaction: for announcements whose readers only need the newest state, so a group
 * commit that reserves one SKU for twenty orders announces its level once instead of twenty times. The
 * transaction must be opened by `transact`.
 */
export function enqueueLatest(
  trx: Kysely<any>,
  messages: readonly AnyMessage[],
  keyOf: (message: AnyMessage) => string = (message) => message.subject,
): void {
  const deferred = pending(trx);
  if (!deferred) throw new Error("enqueueLatest needs a transaction opened by transact");
  const active = injectTraceHeaders();
  for (const message of messages)
    deferred.latest.set(`${message.type} ${keyOf(message)}`, rowOf(message, active));
}
