import type { Money } from "@qc/contracts";
import type { Kysely } from "kysely";
import { invalidateOnEvents } from "../../shared/cache/invalidation";
import { createLayeredCache } from "../../shared/cache/layered-cache";
import { redisKey } from "../../shared/cache/namespace";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { findPrice } from "../db/price-repository";
import type { Database } from "../db/schema";

const keyOf = (storeId: string, sku: string) => `${storeId}:${sku}`;

/** Store prices read through the layered cache (LRU → Redis → Postgres). */
export function createPriceBook(ctx: ServiceContext<Database>) {
  const ttlMs = ctx.config.PRICE_CACHE_TTL_SECONDS * 1000;
  const cache = createLayeredCache<Money>({
    name: redisKey(ctx.config, "pricing", "price"),
    redis: ctx.redis,
    redisTtlMs: ttlMs,
    // Short locally: if an invalidation is ever missed, a stale price lives at most this long.
    localTtlMs: Math.min(ttlMs, 30_000),
  });
  const load = (db: Kysely<Database>, storeId: string, sku: string) => async () => {
    const row = await findPrice(db, storeId, sku);
    return row ? { amountMinor: row.amount_minor, currency: row.currency } : null;
  };

  return {
    cache,
    /** A store's price of a SKU, or null when the store does not sell it. */
    price: (storeId: string, sku: string): Promise<Money | null> =>
      cache.get(keyOf(storeId, sku), load(ctx.db, storeId, sku)),
    /** Write-through after the price row committed: Redis and this process see the new price at once. */
    written: (storeId: string, sku: string, price: Money) => cache.set(keyOf(storeId, sku), price),
    /** Other instances drop their local copy when PriceChanged arrives. */
    listen: (): Promise<Stoppable> =>
      invalidateOnEvents(
        {
          name: redisKey(ctx.config, "pricing-price"),
          topics: ["pricing.events.v1"],
          keyOf: (message) =>
            message.type === "PriceChanged" ? keyOf(message.data.storeId, message.data.sku) : null,
          invalidate: (key) => cache.invalidateLocal(key),
        },
        { bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
      ),
  };
}

export type PriceBook = ReturnType<typeof createPriceBook>;
