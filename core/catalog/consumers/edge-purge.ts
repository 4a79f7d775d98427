import { setTimeout as sleep } from "node:timers/promises";
import {
  type AnyMessage,
  InvalidMessageError,
  type PurgeScope,
  parseMessage,
  withPrefix,
} from "@qc/contracts";
import { BACKGROUND_GATHER_MS, type IncomingRecord } from "../../shared/bus";
import { deadLetterOf } from "../../shared/consumer/dead-letter";
import type { CachePurger } from "../../shared/edge-purge";
import { distinctScopes, isTransientPurgeError } from "../../shared/edge-purge/purger";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { metrics } from "../../shared/telemetry/metrics";

const GROUP = "catalog-edge-purge";

/** The edge cache scopes a committed catalog change makes stale. */
export function scopesStaledBy(message: AnyMessage): PurgeScope[] {
  switch (message.type) {
    case "CatalogEntryChanged": {
      const { storeId, sku, changed } = message.data;
      // Stock moves with every checkout: only that product's page in that store. A price is shown in the
      // store's listings too, and changes rarely.
      return changed === "stock" ? [{ kind: "product", storeId, sku }] : [{ kind: "store", storeId }];
    }
    case "ProductUpserted":
    case "ProductRemoved":
      return [{ kind: "catalog" }];
    case "StoreUpserted":
      return [{ kind: "stores" }, { kind: "store", storeId: message.data.storeId }];
    default:
      return [];
  }
}

export interface EdgePurgeOptions {
  /** Backoff between attempts while the edge cannot take a purge: first delay, doubling up to `maxMs`. */
  backoff?: { initialMs?: number; maxMs?: number };
}

// The edge starts after core (npm run dev, a deploy): purges refused this soon after start are expected.
const STARTUP_GRACE_MS = 60_000;

/**
 * Purges the edge's cache after catalog changes have committed: it consumes the catalog's own events,
 * which the outbox publishes only after their transaction commits, so the edge cannot refill a purged
 * entry from the old row. Each fetched batch becomes one purge of its distinct scopes, and the purger
 * coalesces the batches of every partition within its window (EDGE_PURGE_COALESCE_MS) into one call.
 *
 * A purge is idempotent, so there is no inbox and no transaction: a redelivered event purges again. An
 * edge that cannot take the purge yet (not listening at start-up, 5xx, 429, timeout, breaker open) is
 * waited for with backoff, as long as it takes, and the offsets stay uncommitted meanwhile; only a
 * message that can never succeed is dead-lettered: an invalid one, or a purge the edge refuses outright
 * (a 4xx such as a bad signature).
 */
export async function startEdgePurgeConsumer(
  ctx: Pick<ServiceContext<unknown>, "bus" | "logger" | "config">,
  purger: CachePurger,
  options: EdgePurgeOptions = {},
): Promise<Stoppable> {
  const initialMs = options.backoff?.initialMs ?? 250;
  const maxMs = options.backoff?.maxMs ?? 5_000;
  const stopping = new AbortController();
  const startedAt = Date.now();
  // Whether the wait for the edge has been reported since purges last went through: said once, not per batch.
  let waitReported = false;

  const deadLetter = async (records: IncomingRecord[], error: unknown) => {
    for (const record of records) {
      ctx.logger.error({ err: error, topic: record.topic, offset: record.offset }, "message dead-lettered");
      metrics.deadLettered(GROUP, record.topic);
    }
    await ctx.bus.publish(records.map((record) => deadLetterOf(record, error, 1, GROUP)));
  };

  /** Purges until the edge takes it; throws only when stopping (the records then come again). */
  const purgeUntilDone = async (scopes: PurgeScope[], records: IncomingRecord[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await purger.purge(scopes);
        if (attempt > 1 && waitReported) ctx.logger.info({ attempts: attempt }, "edge purge went through");
        waitReported = false;
        return;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (!isTransientPurgeError(failure)) return deadLetter(records, failure);
        stopping.signal.throwIfAborted();
        // Logged once when the wait starts and then now and again, not per batch or attempt. An edge that is not
        // up yet within the first minute is expected (it starts after core): that is news, not a warning.
        if (!waitReported || attempt % 20 === 0) {
          const expected = Date.now() - startedAt < STARTUP_GRACE_MS && attempt < 20;
          ctx.logger[expected ? "info" : "warn"](
            { reason: failure.message, attempt, scopes: scopes.length },
            expected ? "edge not up yet; purges wait for it" : "edge not taking purges; waiting",
          );
          waitReported = true;
        }
        const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 20));
        await sleep(delay, undefined, { signal: stopping.signal }).catch(() => {});
        stopping.signal.throwIfAborted();
      }
    }
  };

  const handleBatch = async (records: IncomingRecord[]) => {
    const scopes: PurgeScope[] = [];
    const invalid: { record: IncomingRecord; error: unknown }[] = [];
    for (const record of records) {
      try {
        scopes.push(...scopesStaledBy(parseMessage(JSON.parse(record.value ?? ""))));
      } catch (error) {
        invalid.push({
          record,
          error:
            error instanceof SyntaxError ? new InvalidMessageError("invalid_envelope", error.message) : error,
        });
      }
    }
    for (const { record, error } of invalid) await deadLetter([record], error);
    if (scopes.length > 0) await purgeUntilDone(distinctScopes(scopes), records);
  };

  const subscription = await ctx.bus.subscribe({
    groupId: withPrefix(ctx.config.TOPIC_PREFIX, GROUP),
    topics: [withPrefix(ctx.config.TOPIC_PREFIX, "catalog.events.v1")],
    handle: (record) => handleBatch([record]),
    handleBatch,
    maxBatchSize: 500,
    partitionsConsumedConcurrently: 3,
    gatherMs: BACKGROUND_GATHER_MS,
    // It waits for the edge as long as the edge is away; catalog's reads must stay in the load balancer.
    gatesReadiness: false,
  });
  return {
    async stop() {
      stopping.abort();
      await subscription.stop();
    },
  };
}
