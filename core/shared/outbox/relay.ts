import { withPrefix } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Bus } from "../bus";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";
import { metrics } from "../telemetry/metrics";
import { measureBacklog } from "./backlog";
import { claimBatch, markPublished, type OutboxRow, prunePublished } from "./claim";
import { startPublishSpans } from "./producer-spans";
import { pollOnly, wakeOnCommit } from "./wakeup";

export interface RelayOptions {
  db: Kysely<any>;
  bus: Bus;
  logger: Logger;
  topicPrefix?: string;
  /** Most rows published per Kafka request (default 500); a full batch is followed by the next at once. */
  batchSize?: number;
  /**
   * Wait between polls when no commit woke the relay (default 1 s): only the safety net for rows committed
   * without `transact`, whose commits do not wake it.
   */
  idleDelayMs?: number;
  /** Woken by this process's outbox commits (default true); false polls only. */
  wakeOnCommit?: boolean;
  /** Published rows are deleted once older than retentionMs (default 1 day), checked every intervalMs (default 1 min). */
  prune?: { intervalMs?: number; retentionMs?: number };
  /** Labels the backlog metric (default the logger's `service`). */
  service?: string;
}

// The backlog query counts the unpublished rows; every 5 s is plenty for a gauge scraped every 15 s.
const BACKLOG_INTERVAL_MS = 5_000;

/**
 * Publishes committed outbox rows to the bus and marks them published, at least once and in seq order per
 * key, even with several relays running (see claimBatch). A relay killed mid-batch leaves its rows
 * unpublished in the database (its transaction dies with it), so they are published again on restart and
 * the consumers' inbox drops the duplicates.
 */
export function startRelay(options: RelayOptions): Stoppable {
  const batchSize = options.batchSize ?? 500;
  const idleDelayMs = options.idleDelayMs ?? 1_000;
  const pruneIntervalMs = options.prune?.intervalMs ?? 60_000;
  const retentionMs = options.prune?.retentionMs ?? 24 * 60 * 60 * 1000;
  let running = true;
  const wakeup = options.wakeOnCommit === false ? pollOnly : wakeOnCommit();
  const service = options.service ?? String(options.logger.bindings().service ?? "unknown");

  const publishBatch = (): Promise<number> =>
    options.db.transaction().execute(async (trx) => {
      const rows = await claimBatch(trx, batchSize);
      if (rows.length === 0) return 0;
      // Losing this commit in a crash only republishes the batch, which the consumers' inbox absorbs: it
      // need not wait for its own fsync (asynchronous commit), so the relay costs the disk almost nothing.
      await sql`set local synchronous_commit = off`.execute(trx);
      const destination = (row: OutboxRow) => withPrefix(options.topicPrefix, row.topic);
      const spans = startPublishSpans(service, rows, destination);
      try {
        await options.bus.publish(
          rows.map((row) => ({
            topic: destination(row),
            key: row.key,
            value: JSON.stringify(row.payload),
            headers: spans.headersOf(row),
          })),
        );
        spans.end();
      } catch (error) {
        spans.end(error);
        throw error;
      }
      await markPublished(trx, rows);
      return rows.length;
    });

  const prune = async () => {
    try {
      await prunePublished(options.db, new Date(Date.now() - retentionMs));
    } catch (error) {
      options.logger.warn({ err: error }, "outbox prune failed; will retry on schedule");
    }
  };

  const recordBacklog = async () => {
    const backlog = await measureBacklog(options.db);
    metrics.outboxBacklog(service, backlog.messages, backlog.oldestAgeSeconds);
  };

  const loop = (async () => {
    let nextPruneAt = Date.now() + pruneIntervalMs;
    let nextBacklogAt = 0;
    while (running) {
      try {
        if (Date.now() >= nextBacklogAt) {
          nextBacklogAt = Date.now() + BACKLOG_INTERVAL_MS;
          await recordBacklog();
        }
        const published = await publishBatch();
        if (Date.now() >= nextPruneAt) {
          nextPruneAt = Date.now() + pruneIntervalMs;
          await prune();
        }
        if (published < batchSize && running) await wakeup.wait(idleDelayMs);
      } catch (error) {
        options.logger.warn({ err: error }, "outbox relay failed a batch; retrying");
        await Bun.sleep(1_000);
      }
    }
    wakeup.close();
  })();

  return {
    async stop() {
      running = false;
      wakeup.close();
      await loop;
    },
  };
}
