import { z } from "zod";
import { Id, Sku } from "../common";

/**
 * What changed, as the edge's read cache understands it. Each scope has a version in KV that is part of
 * every cache key it covers; purging a scope bumps its version, so old entries are never read again.
 */
export const PurgeScope = z.discriminatedUnion("kind", [
  /** Product data that every store shows (name, category, image). */
  z.object({ kind: z.literal("catalog") }),
  /** Everything one dark store shows: its prices and product listings. */
  z.object({ kind: z.literal("store"), storeId: Id }),
  /** One product in one dark store (its page): a stock change retires only this, not the whole store. */
  z.object({ kind: z.literal("product"), storeId: Id, sku: Sku }),
  /** Stores themselves: serviceability answers. */
  z.object({ kind: z.literal("stores") }),
  /** One shopper's cart. */
  z.object({ kind: z.literal("cart"), userId: Id }),
]);
export type PurgeScope = z.infer<typeof PurgeScope>;

/** POST /internal/purge on the edge, signed like edge→core calls but with the purge secret. */
export const PurgeBody = z.object({ scopes: z.array(PurgeScope).min(1).max(100) });
export type PurgeBody = z.infer<typeof PurgeBody>;
export const PURGE_PATH = "/internal/purge";
