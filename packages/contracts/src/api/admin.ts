import { z } from "zod";
import { Id, LatLng, Sku, text } from "../common";
import { Money } from "../money";
import { IdempotencyKey } from "./orders";

/** Creates a store, or changes it when `storeId` is given. */
export const UpsertStoreBody = z.object({
  storeId: Id.optional(),
  name: text().trim().min(1).max(200),
  location: LatLng,
  serviceRadiusMeters: z.int().min(100).max(50_000),
  active: z.boolean().default(true),
});
export type UpsertStoreBody = z.infer<typeof UpsertStoreBody>;
export const StoreView = UpsertStoreBody.required({ storeId: true });
export type StoreView = z.infer<typeof StoreView>;

/** Creates or changes a product; optional per-store prices are set in the same call. */
export const UpsertProductBody = z.object({
  sku: Sku,
  name: text().trim().min(1).max(200),
  description: text().max(2000).nullable().default(null),
  category: text().trim().min(1).max(64),
  brand: text().trim().min(1).max(100).nullable().default(null),
  /** How the product is sold, e.g. `500 g` or `1 L`. */
  unit: text().trim().min(1).max(32).nullable().default(null),
  /** Shown in shoppers' browsers: only http(s), never `javascript:` or `data:`. */
  imageUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullable()
    .default(null),
  attributes: z.record(text().max(64), z.union([text().max(500), z.number(), z.boolean()])).default({}),
  active: z.boolean().default(true),
  prices: z.array(z.object({ storeId: Id, price: Money })).default([]),
});
export type UpsertProductBody = z.infer<typeof UpsertProductBody>;

export const StoreSkuParams = z.object({ storeId: Id, sku: Sku });
export type StoreSkuParams = z.infer<typeof StoreSkuParams>;
export const StoreParams = z.object({ storeId: Id });
export type StoreParams = z.infer<typeof StoreParams>;

/** PUT /v1/admin/stores/:storeId/prices/:sku */
export const SetPriceBody = z.object({ price: Money });
export type SetPriceBody = z.infer<typeof SetPriceBody>;
/** The price as set, and when: readers that learn prices from PriceChanged apply it at that same instant. */
export const StorePriceView = z.object({ storeId: Id, sku: Sku, price: Money, changedAt: z.iso.datetime() });
export type StorePriceView = z.infer<typeof StorePriceView>;

/** PUT /v1/admin/stores/:storeId/stock/:sku: the counted stock on hand. */
export const SetStockBody = z.object({ onHand: z.int().min(0).max(1_000_000) });
export type SetStockBody = z.infer<typeof SetStockBody>;
export const StockView = z.object({
  storeId: Id,
  sku: Sku,
  onHand: z.int().nonnegative(),
  reserved: z.int().nonnegative(),
  available: z.int().nonnegative(),
});
export type StockView = z.infer<typeof StockView>;

/** A rider of one store; `location` defaults to the store's (riders wait at the dark store). */
export const AddRiderBody = z.object({
  name: text().trim().min(1).max(100),
  userId: Id.optional(),
  location: LatLng.optional(),
});
export type AddRiderBody = z.infer<typeof AddRiderBody>;
export const RiderView = z.object({
  riderId: Id,
  storeId: Id,
  name: z.string(),
  userId: Id.nullable(),
  active: z.boolean(),
});
export type RiderView = z.infer<typeof RiderView>;

/** POST /v1/admin/stock-transfers (with an Idempotency-Key): units of one SKU from one store to another. */
export const StockTransferBody = z.object({
  fromStoreId: Id,
  toStoreId: Id,
  sku: Sku,
  quantity: z.int().min(1).max(1_000_000),
});
export type StockTransferBody = z.infer<typeof StockTransferBody>;
/** A transfer is repeated safely under the same key (header names lower-cased, as servers hand them over). */
export const StockTransferHeaders = z.object({ "idempotency-key": IdempotencyKey });
export const StockTransferParams = z.object({ transferId: Id });
export type StockTransferParams = z.infer<typeof StockTransferParams>;
/**
 * A transfer as its coordinator logged it: PREPARING until every store's database prepared, then COMMITTING
 * → COMMITTED, or ABORTING → ABORTED with the reason (the POST answers once the decision is made).
 */
export const StockTransferView = StockTransferBody.extend({
  transferId: Id,
  status: z.enum(["PREPARING", "COMMITTING", "COMMITTED", "ABORTING", "ABORTED"]),
  reason: z.enum(["INSUFFICIENT_STOCK", "PREPARE_TIMEOUT", "PARTICIPANT_FAILED"]).nullable(),
});
export type StockTransferView = z.infer<typeof StockTransferView>;
