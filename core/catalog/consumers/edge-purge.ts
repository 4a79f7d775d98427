import type { AnyMessage, PurgeScope } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type MessageHandler, startConsumer } from "../../shared/consumer/runner";
import type { CachePurger } from "../../shared/edge-purge";
import { versionKey } from "../../shared/edge-purge/purger";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import type { Database } from "../db/schema";

/** The edge cache scopes a committed catalog change makes stale. */
export function scopesStaledBy(message: AnyMessage): PurgeScope[] {
  switch (message.type) {
    case "CatalogEntryChanged":
      return [{ kind: "store", storeId: message.data.storeId }];
    case "ProductUpserted":
    case "ProductRemoved":
      return [{ kind: "catalog" }];
    case "StoreUpserted":
      return [{ kind: "stores" }, { kind: "store", storeId: message.data.storeId }];
    default:
      return [];
  }
}

/**
 * Purges the edge's cache after catalog changes have committed: it consumes the catalog's own events,
 * which the outbox publishes only after their transaction commits, so the edge cannot refill a purged
 * entry from the old row. A failed purge fails the message (retried, then dead-lettered); the read model
 * never waits for the edge.
 */
export function startEdgePurgeConsumer(
  ctx: ServiceContext<Database>,
  purger: CachePurger,
): Promise<Stoppable> {
  // The messages of one fetched batch share a transaction and had all committed before the first of them
  // was handled, so one purge of a scope in that transaction covers the rest of the batch.
  const purgedIn = new WeakMap<Kysely<unknown>, Set<string>>();
  const purge: MessageHandler = async (trx, message) => {
    const done = purgedIn.get(trx) ?? new Set<string>();
    purgedIn.set(trx, done);
    const scopes = scopesStaledBy(message).filter((scope) => !done.has(versionKey(scope)));
    if (scopes.length === 0) return;
    await purger.purge(scopes);
    for (const scope of scopes) done.add(versionKey(scope));
  };
  return startConsumer(
    {
      groupId: "catalog-edge-purge",
      topics: ["catalog.events.v1"],
      handlers: {
        CatalogEntryChanged: purge,
        ProductUpserted: purge,
        ProductRemoved: purge,
        StoreUpserted: purge,
      },
      // A handler holds a pooled connection while it calls the edge: few partitions at once, short backoff.
      concurrency: 2,
      retry: { attempts: 3, initialDelayMs: 500 },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
