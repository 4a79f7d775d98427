import { setTimeout as sleep } from "node:timers/promises";
import { withPrefix } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Bus } from "../bus";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";
import { metrics } from "../telemetry/metrics";
import { measureBacklog } from "./backlog";
import {
  markPublished,
  nextBatch,
  type OutboxRow,
  type Published,
  prunePublished,
  stepDown,
  tryLead,
} from "./claim";
import { startPublishSpans } from "./producer-spans";
import { hearStandbys, tellLeader } from "./standby-wakes";
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
  /**
   * The database the relay's pool reaches: while this relay leads, it LISTENs there for the commits standbys
   * in other instances report (see standby-wakes). Without it those rows wait for the leader's poll.
   */
  databaseUrl?: string;
}

// The backlog query counts the unpublished rows; every 5 s is plenty for a gauge scraped every 15 s.
const BACKLOG_INTERVAL_MS = 5_000;

// How long published rows wait for the next commit to carry their mark before they are marked on their own.
// It delays only the mark (which records the instant of publishing), never a message.
const MARK_WAIT_MS = 50;

// A relay standing by (another leads) tries to take the lead this often.
const STANDBY_RETRY_MS = 1_000;

// A leader whose client vanished (a half-open connection) must not keep the lead until TCP keepalive notices,
// hours later: Postgres ends its session once idle this long. A live leader runs a statement at least every
// idleDelayMs.
const LEADER_IDLE_TIMEOUT_MS = 15_000;

/**
 * Publishes committed outbox rows to the bus and marks them published, at least once and in seq order per
 * key. Each relay holds one connection of its pool; of the relays of one schema (one per instance) the one
 * whose session holds the schema's lead publishes and the others stand by (see tryLead), taking over within
 * a second of the leader's session ending. A round is one statement, no transaction: mark the previous
 * round's rows and read the oldest unpublished ones, then publish them (a relay that hears no commit within
 * 50 ms marks its last rows on their own). A relay killed between Kafka's ack and the mark leaves its rows
 * unpublished, so they are published again and the consumers' inbox drops the duplicates.
 */
export function startRelay(options: RelayOptions): Stoppable {
  const batchSize = options.batchSize ?? 500;
  const idleDelayMs = options.idleDelayMs ?? 1_000;
  const pruneIntervalMs = options.prune?.intervalMs ?? 60_000;
  const retentionMs = options.prune?.retentionMs ?? 24 * 60 * 60 * 1000;
  const stopping = new AbortController();
  const wakeup = options.wakeOnCommit === false ? pollOnly : wakeOnCommit();
  const service = options.service ?? String(options.logger.bindings().service ?? "unknown");
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => {});

  const publish = async (rows: OutboxRow[]) => {
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
  };

  let nextPruneAt = Date.now() + pruneIntervalMs;
  let nextBacklogAt = 0;
  // On the relay's own session: a relay never waits for a second connection of a pool its service drained.
  const housekeeping = async (session: Kysely<any>) => {
    if (Date.now() >= nextBacklogAt) {
      nextBacklogAt = Date.now() + BACKLOG_INTERVAL_MS;
      await measureBacklog(session).then(
        (backlog) => metrics.outboxBacklog(service, backlog.messages, backlog.oldestAgeSeconds),
        (error) => options.logger.warn({ err: error }, "outbox backlog not measured"),
      );
    }
    if (Date.now() >= nextPruneAt) {
      nextPruneAt = Date.now() + pruneIntervalMs;
      await prunePublished(session, new Date(Date.now() - retentionMs)).catch((error) =>
        options.logger.warn({ err: error }, "outbox prune failed; will retry on schedule"),
      );
    }
  };

  const markNow = async (session: Kysely<any>, published: Published | null): Promise<null> => {
    if (published) await markPublished(session, published);
    return null;
  };

  /** Makes this session the leader's: the settings it publishes with, and an ear for the standbys. */
  const takeLead = async (session: Kysely<any>) => {
    // Losing a mark in a crash of Postgres only republishes its rows, which the inbox absorbs: the marks need
    // not wait for their fsync, so the relay costs the disk almost nothing.
    const { rows } = await sql<{ schema: string }>`
      select current_schema() as schema, set_config('synchronous_commit', 'off', false),
             set_config('idle_session_timeout', ${String(Math.max(LEADER_IDLE_TIMEOUT_MS, 3 * idleDelayMs))}, false)`.execute(
      session,
    );
    const schema = rows[0]?.schema ?? "";
    if (!options.databaseUrl) return undefined;
    return hearStandbys(options.databaseUrl, schema, wakeup.nudge).catch((error) => {
      options.logger.warn({ err: error }, "outbox relay hears no standby; their rows wait for its poll");
      return undefined;
    });
  };

  /** Publishes for as long as this session leads; returns when stopped, throws when the session fails. */
  const serve = async (session: Kysely<any>) => {
    let leading = false;
    let standbys: Awaited<ReturnType<typeof takeLead>>;
    // Published rows whose mark rides on the next round's statement.
    let unmarked: Published | null = null;
    try {
      while (!stopping.signal.aborted) {
        await housekeeping(session);
        if (!leading) {
          leading = await tryLead(session);
          if (!leading) {
            // A commit in this process: the leader, in another instance, hears of it through Postgres.
            if (await wakeup.wait(STANDBY_RETRY_MS)) await tellLeader(session);
            continue;
          }
          standbys = await takeLead(session);
        }
        const rows = await nextBatch(session, batchSize, unmarked);
        unmarked = null;
        if (rows.length > 0) {
          await publish(rows);
          unmarked = { rows, at: new Date() };
        }
        if (rows.length < batchSize) {
          // A commit soon after lets the next round's statement mark these; else they are marked on their own.
          if (unmarked && !(await wakeup.wait(MARK_WAIT_MS))) unmarked = await markNow(session, unmarked);
          if (!unmarked && !stopping.signal.aborted) await wakeup.wait(idleDelayMs);
        }
      }
    } finally {
      await markNow(session, unmarked).catch(() => {});
      await standbys?.close();
      // The connection goes back to the pool as it came: without the lead, with the session's settings.
      if (leading) {
        await stepDown(session).catch(() => {});
        await sql`reset all`.execute(session).catch(() => {});
      }
    }
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await options.db.connection().execute(serve);
      } catch (error) {
        options.logger.warn({ err: error }, "outbox relay failed; starting again");
        await pause(1_000);
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      wakeup.close();
      await loop;
    },
  };
}
