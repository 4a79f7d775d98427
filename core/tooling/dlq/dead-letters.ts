import { dlqTopic, withPrefix } from "@qc/contracts";
import type { Bus } from "../../shared/bus";
import { DLQ_HEADERS, replayOf } from "../../shared/consumer/dead-letter";

export interface DeadLetterSummary {
  offset: string;
  key: string | null;
  type: string | null;
  messageId: string | null;
  error: string;
  attempts: number;
  group: string;
  failedAt: string;
}

const typeAndId = (value: string | null) => {
  try {
    const parsed = JSON.parse(value ?? "") as { type?: unknown; id?: unknown };
    return {
      type: typeof parsed.type === "string" ? parsed.type : null,
      messageId: typeof parsed.id === "string" ? parsed.id : null,
    };
  } catch {
    return { type: null, messageId: null };
  }
};

/** The dead-letter topic of a (registry) topic under a prefix. */
export const deadLetterTopic = (topic: string, prefix = "") => withPrefix(prefix, dlqTopic(topic));

/** Every dead letter of a topic, oldest first. */
export async function listDeadLetters(bus: Bus, topic: string, prefix = ""): Promise<DeadLetterSummary[]> {
  const records = await bus.readTopic(deadLetterTopic(topic, prefix));
  return records.map((record) => ({
    offset: record.offset,
    key: record.key,
    ...typeAndId(record.value),
    error: record.headers[DLQ_HEADERS.error] ?? "",
    attempts: Number(record.headers[DLQ_HEADERS.attempts] ?? 0),
    group: record.headers[DLQ_HEADERS.group] ?? "",
    failedAt: record.headers[DLQ_HEADERS.failedAt] ?? "",
  }));
}

/** Republishes the chosen dead letters (by DLQ offset) to their original topic; returns the offsets replayed. */
export async function replayDeadLetters(
  bus: Bus,
  topic: string,
  offsets: string[],
  prefix = "",
): Promise<string[]> {
  const wanted = new Set(offsets);
  const chosen = (await bus.readTopic(deadLetterTopic(topic, prefix))).filter((record) =>
    wanted.has(record.offset),
  );
  const missing = [...wanted].filter((offset) => !chosen.some((record) => record.offset === offset));
  if (missing.length > 0) throw new Error(`no dead letter at offset ${missing.join(", ")}`);
  await bus.publish(chosen.map(replayOf));
  return chosen.map((record) => record.offset);
}
