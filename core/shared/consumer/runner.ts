import {
  type AnyMessage,
  dlqTopic,
  InvalidMessageError,
  parseMessage,
  type TopicName,
  withPrefix,
} from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Bus, IncomingRecord } from "../bus";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";

export type MessageHandler = (trx: Kysely<any>, message: AnyMessage) => Promise<void>;

export interface ConsumerOptions {
  /** Consumer group id; also the inbox scope, so two groups of one service dedupe separately. */
  groupId: string;
  topics: TopicName[];
  /** Handlers by message type; types without a handler are acknowledged and skipped. */
  handlers: Partial<Record<AnyMessage["type"], MessageHandler>>;
  retry?: { attempts?: number; initialDelayMs?: number; multiplier?: number };
}

export interface ConsumerDeps {
  db: Kysely<any>;
  bus: Bus;
  logger: Logger;
  topicPrefix?: string;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "23505";

/**
 * Runs a consumer group whose handler commits in the same Postgres transaction as the inbox row that
 * records the message id: a redelivered message has no second effect. A message that fails every retry,
 * or fails its schema, goes to `<topic>.dlq` with the error, and the group moves on.
 */
export async function startConsumer(options: ConsumerOptions, deps: ConsumerDeps): Promise<Stoppable> {
  const attempts = options.retry?.attempts ?? 3;
  const initialDelayMs = options.retry?.initialDelayMs ?? 1_000;
  const multiplier = options.retry?.multiplier ?? 2;

  const deadLetter = async (record: IncomingRecord, error: unknown, attempt: number) => {
    deps.logger.error({ err: error, topic: record.topic, offset: record.offset }, "message dead-lettered");
    await deps.bus.publish([
      {
        topic: dlqTopic(record.topic),
        key: record.key ?? "",
        value: record.value ?? "",
        headers: {
          ...record.headers,
          "dlq-error": error instanceof Error ? error.message : String(error),
          "dlq-attempts": String(attempt),
          "dlq-original-topic": record.topic,
          "dlq-original-partition": String(record.partition),
          "dlq-original-offset": record.offset,
          "dlq-consumer-group": options.groupId,
        },
      },
    ]);
  };

  const handleOnce = async (message: AnyMessage, handler: MessageHandler) => {
    try {
      await deps.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("inbox")
          .values({ consumer_group: options.groupId, message_id: message.id, type: message.type })
          .execute();
        await handler(trx, message);
      });
    } catch (error) {
      if (isUniqueViolation(error) && (await seen(message.id))) return;
      throw error;
    }
  };

  const seen = async (messageId: string) => {
    const { rows } =
      await sql`select 1 from inbox where consumer_group = ${options.groupId} and message_id = ${messageId}`.execute(
        deps.db,
      );
    return rows.length > 0;
  };

  const handle = async (record: IncomingRecord) => {
    let message: AnyMessage;
    try {
      message = parseMessage(JSON.parse(record.value ?? ""));
    } catch (error) {
      await deadLetter(
        record,
        error instanceof SyntaxError ? new InvalidMessageError("invalid_envelope", error.message) : error,
        0,
      );
      return;
    }
    const handler = options.handlers[message.type];
    if (!handler) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await handleOnce(message, handler);
        return;
      } catch (error) {
        if (attempt >= attempts) {
          await deadLetter(record, error, attempt);
          return;
        }
        deps.logger.warn({ err: error, type: message.type, attempt }, "handler failed; retrying");
        await Bun.sleep(initialDelayMs * multiplier ** (attempt - 1));
      }
    }
  };

  const subscription = await deps.bus.subscribe({
    groupId: options.groupId,
    topics: options.topics.map((topic) => withPrefix(deps.topicPrefix, topic)),
    handle,
    partitionsConsumedConcurrently: 3,
  });
  return subscription;
}
