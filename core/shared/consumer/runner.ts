import {
  type AnyMessage,
  InvalidMessageError,
  parseMessage,
  type TopicName,
  withPrefix,
} from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Bus, IncomingRecord } from "../bus";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";
import { withMessageSpan } from "../telemetry/messaging";
import { metrics, stopwatch } from "../telemetry/metrics";
import { deadLetterOf, REPLAY_HEADER } from "./dead-letter";

export type MessageHandler = (trx: Kysely<any>, message: AnyMessage) => Promise<void>;

export interface ConsumerOptions {
  /** Consumer group id; also the inbox scope, so two groups of one service dedupe separately. */
  groupId: string;
  topics: TopicName[];
  /** Handlers by message type; types without a handler are acknowledged and skipped. */
  handlers: Partial<Record<AnyMessage["type"], MessageHandler>>;
  /** Attempts per message before it is dead-lettered (default 3, first delay 1 s, multiplier 2). */
  retry?: { attempts?: number; initialDelayMs?: number; multiplier?: number };
  /** Partitions handled at once (default 3); each partition stays strictly in order. */
  concurrency?: number;
  /** Most consecutive messages of one partition committed in one transaction (default 100; 1 = one each). */
  batchSize?: number;
}

interface Accepted {
  record: IncomingRecord;
  message: AnyMessage;
  handler: MessageHandler;
}

export interface ConsumerDeps {
  db: Kysely<any>;
  bus: Bus;
  logger: Logger;
  topicPrefix?: string;
}

const parseRecord = (record: IncomingRecord): AnyMessage => {
  try {
    return parseMessage(JSON.parse(record.value ?? ""));
  } catch (error) {
    if (error instanceof SyntaxError) throw new InvalidMessageError("invalid_envelope", error.message);
    throw error;
  }
};

/**
 * Runs a consumer group whose handler commits in the same Postgres transaction as the inbox row that
 * records the message id: a redelivered message has no second effect. Under load, consecutive messages of
 * a partition share one transaction (see handleBatch). A transient failure is retried with
 * exponential backoff; a message that fails every attempt, or fails its schema, goes to `<topic>.dlq` with
 * the error, the attempt count and its original headers, and the group moves on. Offsets are committed only
 * after the handler's transaction has committed (see the bus). stop() drains: the in-flight messages finish
 * (including their retries), their offsets are committed, then the consumer leaves the group.
 */
export async function startConsumer(options: ConsumerOptions, deps: ConsumerDeps): Promise<Stoppable> {
  const attempts = options.retry?.attempts ?? 3;
  const initialDelayMs = options.retry?.initialDelayMs ?? 1_000;
  const multiplier = options.retry?.multiplier ?? 2;

  // Consumers of several services share a process in dev and tests; their spans show under their own name.
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

  /** The inbox row and the effect, in the caller's transaction; a message already in the inbox is skipped. */
  const applyOnce = async (trx: Kysely<any>, message: AnyMessage, handler: MessageHandler) => {
    // On a concurrent duplicate (another member still holds it mid-rebalance) this waits for that
    // transaction: if it commits we skip, if it rolls back we go ahead.
    const inserted = await trx
      .insertInto("inbox")
      .values({ consumer_group: group, message_id: message.id, type: message.type })
      .onConflict((conflict) => conflict.doNothing())
      .returning("message_id")
      .executeTakeFirst();
    if (inserted) await handler(trx, message);
  };

  const withRetries = (accepted: Accepted) =>
    traced(accepted, async () => {
      const { record, message, handler } = accepted;
      for (let attempt = 1; ; attempt++) {
        const elapsed = stopwatch();
        try {
          await deps.db.transaction().execute((trx) => applyOnce(trx, message, handler));
          metrics.handlerDuration(group, message.type, "ok", elapsed());
          return;
        } catch (error) {
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
    });

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
      accepted.push({ record, message, handler });
    }
    return accepted;
  };

  /**
   * One partition's consecutive records: all in one transaction (one commit instead of one per message,
   * which is what bounds throughput), and if any of them fails, all of them again one by one with retries,
   * so only the failing one is retried or dead-lettered. Order is kept either way.
   */
  const handleBatch = async (records: IncomingRecord[]) => {
    const accepted = await accept(records);
    if (accepted.length > 1) {
      const elapsed = stopwatch();
      try {
        await deps.db.transaction().execute(async (trx) => {
          for (const one of accepted) await traced(one, () => applyOnce(trx, one.message, one.handler));
        });
        // Each message of the batch was done only when the shared transaction committed.
        const seconds = elapsed();
        for (const { message } of accepted) metrics.handlerDuration(group, message.type, "ok", seconds);
        return;
      } catch (error) {
        deps.logger.warn(
          { err: error, count: accepted.length },
          "batch failed; handling its messages one by one",
        );
      }
    }
    for (const one of accepted) await withRetries(one);
  };

  return deps.bus.subscribe({
    // Kafka group ids carry the topic prefix, so runs sharing a broker never share group members.
    groupId: withPrefix(deps.topicPrefix, group),
    topics: options.topics.map((topic) => withPrefix(deps.topicPrefix, topic)),
    handle: (record) => handleBatch([record]),
    handleBatch,
    maxBatchSize: options.batchSize ?? 100,
    partitionsConsumedConcurrently: options.concurrency ?? 3,
  });
}
