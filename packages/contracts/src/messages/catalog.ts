import { z } from "zod";
import { Id, LatLng, Sku } from "../common";
import { defineMessage } from "./define";

const topic = "catalog.events.v1";

export const ProductUpsertedData = z.object({
  sku: Sku,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable(),
  category: z.string().min(1).max(64),
  imageUrl: z.url().nullable(),
  active: z.boolean(),
});
export type ProductUpsertedData = z.infer<typeof ProductUpsertedData>;
export const ProductRemovedData = z.object({ sku: Sku });
export type ProductRemovedData = z.infer<typeof ProductRemovedData>;
export const StoreUpsertedData = z.object({
  storeId: Id,
  name: z.string().min(1).max(200),
  location: LatLng,
  serviceRadiusMeters: z.int().positive(),
  active: z.boolean(),
});
export type StoreUpsertedData = z.infer<typeof StoreUpsertedData>;
/** The read model's price or stock of one SKU in one store changed (committed); the edge purges on it. */
export const CatalogEntryChangedData = z.object({
  storeId: Id,
  sku: Sku,
  changed: z.enum(["price", "stock"]),
});
export type CatalogEntryChangedData = z.infer<typeof CatalogEntryChangedData>;

export const catalogMessages = [
  defineMessage({
    type: "ProductUpserted",
    topic,
    version: 1,
    schema: ProductUpsertedData,
    subject: (d) => d.sku,
  }),
  defineMessage({
    type: "ProductRemoved",
    topic,
    version: 1,
    schema: ProductRemovedData,
    subject: (d) => d.sku,
  }),
  defineMessage({
    type: "StoreUpserted",
    topic,
    version: 1,
    schema: StoreUpsertedData,
    subject: (d) => d.storeId,
  }),
  defineMessage({
    type: "CatalogEntryChanged",
    topic,
    version: 1,
    schema: CatalogEntryChangedData,
    // Keyed by store: one store's changes stay in order on one partition, so a burst arrives as one batch.
    subject: (d) => d.storeId,
  }),
] as const;
