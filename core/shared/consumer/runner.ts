import { setTimeout as sleep } from "node:timers/promises";
import {
  type AnyMessage,
  InvalidMessageError,
  parseMessage,
  type TopicName,
  withPrefix,
} from "@qc/contracts";
import type { Insertable, Kysely, QueryCreator } from "kysely";
import type { Bus, IncomingRecord } from "../bus";
import type { InboxTable, MessagingTables } from "../db/messaging";
import { sendAhead } from "../db/pipeline";
import { prepared } from "../db/prepared";
import { transact } from "../db/transaction";
import { isPeerUnavailable } from "../resilience";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";
import { withMessageSpan } from "../telemetry/messaging";
import { metrics, stopwatch } from "../telemetry/metrics";
import { deadLetterOf, REPLAY_HEADER } from "./dead-letter";
import { groupCommits } from "./group-commit";
import { OneByOne } from "./one-by-one";

export type MessageHandler = (trx: Kysely<any>, message: AnyMessage) => Promise<void>;

/**
 * A handler with work that must not hold a transaction open (a call to a card processor): `prepare` runs
 * before the transaction, concurrently across keys and in order within a key, and its result is handed to
 * `apply`, which runs in the transaction like a plain handler. `prepare` may run again for a redelivered
 * message, so what it calls must be idempotent (the processor's idempotency key makes it so).
 */
export interface PreparedHandler<P = unknown> {
  prepare(message: AnyMessage): Promise<P>;
  apply(trx: Kysely<any>, message: AnyMessage, prepared: P): Promise<void>;
}

export interface ConsumerOptions {
  /** Consumer group id; also the inbox scope, so two groups of one service dedupe separately. */
  groupId: string;
  topics: TopicName[];
  /** Handlers by message type; types without a handler are acknowledged and skipped. */
  handlers: Partial<Record<AnyMessage["type"], MessageHandler | PreparedHandler<any>>>;
  /** Attempts per message before it is dead-lettered (default 3, first delay 1 s, multiplier 2). */
  retry?: { attempts?: number; initialDelayMs?: number; multiplier?: number };
  /** Partitions handled at once (default: every partition of every topic); each stays strictly in order. */
  concurrency?: number;
  /** Most consecutive messages of one partition handed over at once (default 100). */
  batchSize?: number;
  /** See SubscribeOptions.gatesReadiness (default true). */
  gatesReadiness?: boolean;
  /**
   * For handlers whose only effect is outside Postgres and repeatable, deduplicated by its receiver (a live
   * push the edge keeps by id): no inbox row and no transaction per message, and a new group starts at the
   * newest offset instead of replaying the topic's history (default false).
   */
  live?: boolean;
  /**
   * Where a group with no committed offset starts: the oldest retained message (default, unless `live`) or
   * the newest. A live group whose receiver keeps every id it handled can start at the oldest, so nothing
   * produced before its first join is missed.
   */
  fromBeginning?: boolean;
  /** See SubscribeOptions.gatherMs: for a group nobody waits on at checkout, BACKGROUND_GATHER_MS. */
  gatherMs?: number;
  /**
   * Every effect of the handlers' `apply` is in the transaction (nothing written to Redis there, no call to
   * another service unless repeating it is harmless: a card processor's call under its idempotency key;
   * after-commit hooks and `prepare` are fine): a batch's inbox rows can then be written last, with the commit,
   * since a batch holding a message handled before rolls back whole (default false).
   */
  effectsInTransaction?: boolean;
  /**
   * Runs first in every transaction, with the messages it is about to apply (a batch's, or one message's when
   * handled alone): where every handler locks one row per message, they can all be locked here in one
   * statement instead of one round trip per message.
   */
  beforeApply?: (trx: Kysely<any>, messages: AnyMessage[]) => Promise<void>;
}

interface Accepted {
  record: IncomingRecord;
  message: AnyMessage;
  handler: PreparedHandler;
  /** The handler has work outside the transaction (a plain handler's prepare does nothing, untraced). */
  prepares: boolean;
}

type Prepared = Accepted & { prepared: unknown };

/** A batch's inbox rows clashed with rows already there: one of its messages was handled before. */
class HandledBefore extends OneByOne {
  constructor(cause: unknown) {
    super("a message of the batch was handled before", { cause });
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string } | null)?.code === "23505";

type InboxRow = Insertable<InboxTable>;

// The inbox's statements, built by Kysely once per shape (see prepared): every consumed batch runs one.
const handledAmong = prepared((db: QueryCreator<MessagingTables>, among: { group: string; ids: string[] }) =>
  db
    .selectFrom("inbox")
    .select("message_id")
    .where("consumer_group", "=", among.group)
    .where("message_id", "in", among.ids),
);
const insertInbox = prepared((db: QueryCreator<MessagingTables>, insert: { rows: InboxRow[] }) =>
  db.insertInto("inbox").values(insert.rows),
);
const insertInboxFirst = prepared((db: QueryCreator<MessagingTables>, insert: { rows: InboxRow[] }) =>
  db
    .insertInto("inbox")
    .values(insert.rows)
    .onConflict((conflict) => conflict.doNothing())
    .returning("message_id"),
);

const keyOf = (one: Accepted) => one.record.key ?? "";
const byKey = (a: Accepted, b: Accepted) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

export interface ConsumerDeps {
  db: Kysely<any>;
  bus: Bus;
  logger: Logger;
  topicPrefix?: string;
}

// The longest wait between two tries of a message whose peer is unavailable.
const PEER_WAIT_MAX_MS = 30_000;

const parseRecord = (record: IncomingRecord): AnyMessage => {
  try {
    return parseMessage(JSON.parse(record.value ?? ""));
  } catch (error) {
    if (error instanceof SyntaxError) throw new InvalidMessageError("invalid_envelope", error.message);
    throw error;
  }
};

const asPrepared = (handler: MessageHandler | PreparedHandler): PreparedHandler =>
  typeof handler === "function"
    ? { prepare: async () => undefined, apply: (trx, message) => handler(trx, message) }
    : handler;

/** Runs `work` for each key's messages in order, different keys at once. */
async function perKey<T>(items: T[], keyOf: (item: T) => string, work: (item: T) => Promise<void>) {
  const byKey = new Map<string, T[]>();
  for (const item of items) byKey.set(keyOf(item), [...(byKey.get(keyOf(item)) ?? []), item]);
  await Promise.all(
    [...byKey.values()].map(async (queue) => {
      for (const item of queue) await work(item);
    }),
  );
}

/**
 * Runs a consumer group whose handler commits in the same Postgres transaction as the inbox row that
 * records the message id: a redelivered message has no second effect.
 *
 * Group commit: the partitions of one fetch arrive together, and the records of every partition ready at
 * the same moment are applied in ONE transaction (one commit, one fsync, for all of them instead of one per
 * message or partition). Handlers with a `prepare` phase do their outside calls first, concurrently across
 * keys. If a shared transaction fails, its messages are handled again one by one with retries and
 * exponential backoff, so only the failing one is
 * retried or dead-lettered; a message that fails every attempt, or fails its schema, goes to `<topic>.dlq`
 * with the error, the attempt count and its original headers, and the group moves on. Offsets are committed
 * only after the transaction has committed (see the bus). stop() drains: the in-flight messages finish
 * (including their retries), their offsets are committed, then the consumer leaves the group.
 */
export async function startConsumer(options: ConsumerOptions, deps: ConsumerDeps): Promise<Stoppable> {
  const attempts = options.retry?.attempts ?? 3;
  const initialDelayMs = options.retry?.initialDelayMs ?? 1_000;
  const multiplier = options.retry?.multiplier ?? 2;

  // Consumers of several services share a process in tests; their spans show under their own name.
  const service = deps.logger.bindings().service as string | undefined;
  const group = options.groupId;

  const deadLetter = async (record: IncomingRecord, error: unknown, attempt: number) => {
    deps.logger.error({ err: error, topic: record.topic, offset: record.offset }, "message dead-lettered");
    // If this publish fails the handler rejects, so the offset stays uncommitted and the record comes back.
    await deps.bus.publish([deadLetterOf(record, error, attempt, group)]);
    metrics.deadLettered(group, record.topic);
  };

  /** Runs one message's work inside a consumer span continuing its producer's trace, order id in scope. */
  const traced = <T>({ record, message }: Accepted, work: () => Promise<T>) =>
    withMessageSpan({ message, headers: record.headers, topic: record.topic, group, service }, work);

  /** Ids of these messages already in the inbox (handled before), so their prepare is not repeated. */
  const alreadyHandled = async (messages: Accepted[]): Promise<Set<string>> => {
    if (messages.length === 0) return new Set();
    const { rows } = await deps.db.executeQuery(
      handledAmong(deps.db, { group, ids: messages.map(({ message }) => message.id) }),
    );
    return new Set(rows.map((row) => row.message_id as string));
  };

  /**
   * The effects of `accepted` and their inbox rows, in one transaction, each message applied once however
   * often it appears. `checked` (a message handled alone, after its batch failed): the inbox rows are written
   * first and the messages already there skipped; on a concurrent duplicate (another member still holds it
   * mid-rebalance) the insert waits for that transaction: if it commits we skip, if it rolls back we go
   * ahead. Otherwise (a batch's first try, in a group whose effects are all in the transaction) the rows are
   * written last, sent with the commit (see sendAhead), a round trip fewer: a message handled before makes
   * that insert fail and the whole transaction roll back, and the batch is handled again message by message,
   * checked.
   */
  const applyAll = async (accepted: Prepared[], { checked }: { checked: boolean }) => {
    if (options.live || accepted.length === 0) return;
    await transact(deps.db, async (trx) => {
      const messages = new Map(accepted.map(({ message }) => [message.id, message]));
      const rows = [...messages.values()].map(({ id, type }) => ({
        consumer_group: group,
        message_id: id,
        type,
      }));
      const toApply = checked
        ? new Set(
            (await trx.executeQuery(insertInboxFirst(trx, { rows }))).rows.map(
              (row) => row.message_id as string,
            ),
          )
        : new Set(messages.keys());
      await options.beforeApply?.(
        trx,
        [...toApply].map((id) => messages.get(id) as AnyMessage),
      );
      for (const one of accepted) {
        if (!toApply.delete(one.message.id)) continue;
        await traced(one, () => one.handler.apply(trx, one.message, one.prepared));
      }
      if (!checked)
        await sendAhead(trx, insertInbox(trx, { rows }), (error) =>
          isUniqueViolation(error) ? new HandledBefore(error) : error,
        );
    });
  };

  /** Every message's prepare (outside any transaction): concurrently across keys, in order within a key. */
  const prepareAll = async (accepted: Accepted[]): Promise<Prepared[]> => {
    const prepared = new Map<Accepted, unknown>();
    const preparing = accepted.filter((one) => one.prepares);
    const done = preparing.length > 0 && !options.live ? await alreadyHandled(preparing) : new Set<string>();
    await perKey(
      preparing.filter((one) => !done.has(one.message.id)),
      keyOf,
      async (one) => {
        prepared.set(one, await traced(one, () => one.handler.prepare(one.message)));
      },
    );
    // A message handled before (redelivered after a rebalance) is neither prepared nor applied again: applied
    // without its prepared result it would only fail its batch, to be skipped when handled alone.
    return accepted
      .filter((one) => !done.has(one.message.id))
      .map((one) => ({ ...one, prepared: prepared.get(one) }));
  };

  // The applies that are ready together share one transaction, in key order, so that concurrent
  // transactions lock aggregates in the same order (a key's messages keep theirs: the sort is stable).
  const applies = groupCommits<Prepared[]>((groups) =>
    applyAll(groups.flat().sort(byKey), { checked: !options.effectsInTransaction }),
  );

  const handle = async (accepted: Accepted[]) => applies.submit(await prepareAll(accepted));

  const stopping = new AbortController();

  const withRetries = async (accepted: Accepted) => {
    const { record, message } = accepted;
    for (let attempt = 1, waits = 0; ; attempt++) {
      const elapsed = stopwatch();
      try {
        // Alone, in a transaction of its own: a failing message must not share its fate with others again.
        await applyAll(await prepareAll([accepted]), { checked: true });
        metrics.handlerDuration(group, message.type, "ok", elapsed());
        return;
      } catch (error) {
        // A peer behind an open breaker is not a bad message: wait for it with backoff (this partition only),
        // however long it takes, and never count it toward the dead letter. Stopping ends the wait; the
        // message then comes again to whoever owns the partition next.
        if (isPeerUnavailable(error)) {
          metrics.handlerDuration(group, message.type, "retry", elapsed());
          if (waits % 10 === 0)
            deps.logger.warn(
              { type: message.type, id: message.id, reason: String(error) },
              "peer unavailable; waiting",
            );
          const delay = Math.min(PEER_WAIT_MAX_MS, initialDelayMs * 2 ** Math.min(waits++, 10));
          await sleep(delay, undefined, { signal: stopping.signal }).catch(() => {});
          stopping.signal.throwIfAborted();
          attempt--;
          continue;
        }
        // An invalid message will not become valid by waiting.
        if (attempt >= attempts || error instanceof InvalidMessageError) {
          metrics.handlerDuration(group, message.type, "dead_letter", elapsed());
          await deadLetter(record, error, attempt);
          return;
        }
        metrics.handlerDuration(group, message.type, "retry", elapsed());
        deps.logger.warn(
          { err: error, type: message.type, id: message.id, attempt },
          "handler failed; retrying",
        );
        await Bun.sleep(initialDelayMs * multiplier ** (attempt - 1));
      }
    }
  };

  /** The records worth a handler; the ones that fail their schema go straight to the DLQ. */
  const accept = async (records: IncomingRecord[]): Promise<Accepted[]> => {
    const accepted: Accepted[] = [];
    for (const record of records) {
      let message: AnyMessage;
      try {
        message = parseRecord(record);
      } catch (error) {
        await deadLetter(record, error, 0);
        continue;
      }
      const handler = options.handlers[message.type];
      if (!handler) continue;
      if (record.headers[REPLAY_HEADER]) {
        deps.logger.info({ id: message.id, from: record.headers[REPLAY_HEADER] }, "replaying a dead letter");
      }
      accepted.push({
        record,
        message,
        handler: asPrepared(handler),
        prepares: typeof handler !== "function",
      });
    }
    return accepted;
  };

  /**
   * A partition's records: prepared, then applied in the transaction of every partition ready at the same
   * moment (group commit), so a slow prepare (a processor timing out) holds back only its own partition. If
   * that transaction fails, these records are handled again one by one with retries.
   */
  const handleBatch = async (records: IncomingRecord[]) => {
    const accepted = await accept(records);
    if (accepted.length === 0) return;
    const elapsed = stopwatch();
    try {
      await handle(accepted);
      // Each message was done only when the shared transaction committed.
      const seconds = elapsed();
      for (const { message } of accepted) metrics.handlerDuration(group, message.type, "ok", seconds);
      return;
    } catch (error) {
      // A redelivery (after a restart or a rebalance) is expected: each message is then checked alone.
      if (error instanceof OneByOne)
        deps.logger.debug({ count: accepted.length, reason: error.message }, "batch handled one by one");
      else
        deps.logger.warn(
          { err: error, count: accepted.length },
          "batch failed; handling its messages one by one",
        );
    }
    await perKey(accepted, keyOf, withRetries);
  };

  const subscription = await deps.bus.subscribe({
    // Kafka group ids carry the topic prefix, so runs sharing a broker never share group members.
    groupId: withPrefix(deps.topicPrefix, group),
    topics: options.topics.map((topic) => withPrefix(deps.topicPrefix, topic)),
    handle: (record) => handleBatch([record]),
    handleBatch,
    maxBatchSize: options.batchSize ?? 100,
    partitionsConsumedConcurrently: options.concurrency ?? 64,
    gatesReadiness: options.gatesReadiness,
    fromBeginning: options.fromBeginning ?? !options.live,
    gatherMs: options.gatherMs,
  });
  return {
    async stop() {
      stopping.abort();
      await subscription.stop();
    },
  };
}
