import { z } from "zod";
import { Id, IsoDateTime } from "../common";
import { serviceNames } from "../services";

const ServiceName = z.enum(serviceNames);

/** One store's orders that are not finished yet (not DELIVERED, REJECTED or CANCELLED), with their riders' ETA. */
export const StoreLoad = z.object({
  storeId: Id,
  openOrders: z.int().nonnegative(),
  /** Mean and longest ETA in minutes over the open orders that have one (null when none has a rider yet). */
  avgEtaMinutes: z.number().nonnegative().nullable(),
  maxEtaMinutes: z.int().nonnegative().nullable(),
});
export type StoreLoad = z.infer<typeof StoreLoad>;

/** GET /v1/admin/ops/stores (order): every store with open orders, most open first. */
export const StoreLoadList = z.object({ stores: z.array(StoreLoad) });
export type StoreLoadList = z.infer<typeof StoreLoadList>;

/** GET /v1/admin/ops/summary: how far back the edge's request figures look. */
export const OpsSummaryQuery = z.object({
  windowSeconds: z.coerce.number().int().min(10).max(300).default(60),
});
export type OpsSummaryQuery = z.infer<typeof OpsSummaryQuery>;

/** What the edge's request data points say about the last `windowSeconds`. */
export const EdgeTraffic = z.object({
  requests: z.int().nonnegative(),
  /** Checkouts the edge answered 201 or 202, per second over the window. */
  ordersPerSecond: z.number().nonnegative(),
  /** Latency of those checkouts at the edge (with `Prefer: wait`, placement to CONFIRMED). */
  checkoutLatencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
  /** HIT and STALE over HIT, STALE and MISS of the cached reads; null when no cacheable read came in. */
  cacheHitRatio: z.number().min(0).max(1).nullable(),
  /** 429 answers by route template, most first. */
  rateLimited: z.array(z.object({ route: z.string(), count: z.int().nonnegative() })),
});
export type EdgeTraffic = z.infer<typeof EdgeTraffic>;

/** The operators' dashboard: edge traffic over the window, core's metrics now, open orders per store. */
export const OpsSummary = z.object({
  generatedAt: IsoDateTime,
  windowSeconds: z.int(),
  /** Where the edge figures came from: the Analytics Engine SQL API, or the local copy of the data points. */
  source: z.enum(["analytics-engine", "local"]),
  edge: EdgeTraffic,
  /** Core services whose /metrics answered. */
  services: z.array(z.object({ service: ServiceName, up: z.boolean() })),
  /** Checkout sagas that did not confirm, by outcome and reason, since the order service started. */
  rejections: z.array(z.object({ outcome: z.string(), reason: z.string(), count: z.int().nonnegative() })),
  /** Messages each consumer group is behind, summed over its partitions. */
  consumerLag: z.array(z.object({ service: ServiceName, group: z.string(), lag: z.int().nonnegative() })),
  /** Circuit breakers: the edge's own (per core service, this isolate) and core's (per downstream). */
  breakers: z.array(
    z.object({ owner: z.string(), dependency: z.string(), state: z.enum(["closed", "half-open", "open"]) }),
  ),
  /** Open orders per store; null when the order service did not answer. */
  stores: z.array(StoreLoad).nullable(),
});
export type OpsSummary = z.infer<typeof OpsSummary>;
