import { dlqTopic } from "@qc/contracts";
import type { IncomingRecord, OutgoingRecord } from "../bus";

/** Headers a dead letter carries besides the original ones; `dlq-` headers are ours and stripped on replay. */
export const DLQ_HEADERS = {
  error: "dlq-error",
  errorName: "dlq-error-name",
  attempts: "dlq-attempts",
  topic: "dlq-original-topic",
  partition: "dlq-original-partition",
  offset: "dlq-original-offset",
  group: "dlq-consumer-group",
  failedAt: "dlq-failed-at",
} as const;

/** Marks a record republished from a dead-letter topic: `<dlq topic>:<offset>`. */
export const REPLAY_HEADER = "replayed-from";

/** The dead letter of a record that failed `attempts` times (0 = rejected before any handler ran). */
export function deadLetterOf(
  record: IncomingRecord,
  error: unknown,
  attempts: number,
  groupId: string,
): OutgoingRecord {
  return {
    topic: dlqTopic(record.topic),
    key: record.key ?? "",
    value: record.value ?? "",
    headers: {
      ...record.headers,
      [DLQ_HEADERS.error]: error instanceof Error ? error.message : String(error),
      [DLQ_HEADERS.errorName]: error instanceof Error ? error.name : typeof error,
      [DLQ_HEADERS.attempts]: String(attempts),
      [DLQ_HEADERS.topic]: record.topic,
      [DLQ_HEADERS.partition]: String(record.partition),
      [DLQ_HEADERS.offset]: record.offset,
      [DLQ_HEADERS.group]: groupId,
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}

/**
 * The record to republish for a dead letter: its original topic, key, value and headers, plus a replay
 * marker. The message id is unchanged, so the inbox still dedupes; a dead-lettered message never reached
 * the inbox (its transaction rolled back), so the replay is processed.
 */
export function replayOf(deadLetter: IncomingRecord): OutgoingRecord {
  const original = deadLetter.headers[DLQ_HEADERS.topic];
  if (!original) throw new Error(`record ${deadLetter.offset} of ${deadLetter.topic} is not a dead letter`);
  const headers = Object.fromEntries(
    Object.entries(deadLetter.headers).filter(([name]) => !name.startsWith("dlq-")),
  );
  return {
    topic: original,
    key: deadLetter.key ?? "",
    value: deadLetter.value ?? "",
    headers: { ...headers, [REPLAY_HEADER]: `${deadLetter.topic}:${deadLetter.offset}` },
  };
}
