import { DLQ_RETENTION_MS, topicDeclarations } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Stoppable } from "../runtime/context";
import { every } from "../runtime/every";
import type { Logger } from "../telemetry/logger";

const DAY_MS = 24 * 60 * 60 * 1000;
const longestTopicRetentionMs = Math.max(
  ...topicDeclarations()
    .filter((topic) => !topic.name.endsWith(".dlq"))
    .map((topic) => topic.retentionMs),
);

/**
 * How long an inbox row must outlive the broker's copies of its message. A group may consume a message at
 * the very end of the topic's retention (7 d) while another group dead-letters it; the dead letter can be
 * replayed until the DLQ's retention ends (14 d), and the replayed copy stays in the topic for another
 * topic retention, during which the first group must still recognise it. Plus a day of margin: 29 days.
 */
export const INBOX_RETENTION_MS = 2 * longestTopicRetentionMs + DLQ_RETENTION_MS + DAY_MS;

export interface InboxPruneOptions {
  intervalMs?: number;
  retentionMs?: number;
  /** Rows deleted per statement, so one round never holds a long lock or a huge transaction. */
  chunk?: number;
}

/** Deletes inbox rows received before `olderThan`, chunk by chunk; returns how many went. */
export async function pruneInbox(db: Kysely<any>, olderThan: Date, chunk = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from inbox where ctid = any(array(
        select ctid from inbox where received_at < ${olderThan} limit ${chunk}))`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    total += deleted;
    if (deleted < chunk) return total;
  }
}

/** Prunes the service's inbox every `intervalMs` (default hourly) of rows older than the retention. */
export function startInboxPrune(db: Kysely<any>, logger: Logger, options: InboxPruneOptions = {}): Stoppable {
  const retentionMs = options.retentionMs ?? INBOX_RETENTION_MS;
  return every(
    options.intervalMs ?? 60 * 60 * 1000,
    async () => {
      const deleted = await pruneInbox(db, new Date(Date.now() - retentionMs), options.chunk);
      if (deleted > 0) logger.info({ deleted, retentionDays: retentionMs / DAY_MS }, "inbox pruned");
    },
    logger,
    "inbox prune",
  );
}
