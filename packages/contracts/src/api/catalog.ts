import { z } from "zod";
import { Cursor, Id, Limit, Sku, text } from "../common";
import { Money } from "../money";

export const StoreQuery = z.object({ storeId: Id });
export type StoreQuery = z.infer<typeof StoreQuery>;
export const CategoriesQuery = StoreQuery;
export type CategoriesQuery = z.infer<typeof CategoriesQuery>;

export const CategoryView = z.object({
  slug: z.string(),
  name: z.string(),
  productCount: z.int().nonnegative(),
});
export type CategoryView = z.infer<typeof CategoryView>;
export const CategoriesResponse = z.object({ items: z.array(CategoryView) });
export type CategoriesResponse = z.infer<typeof CategoriesResponse>;

export const ProductsQuery = z.object({
  storeId: Id,
  category: text().min(1).max(64).optional(),
  q: text().trim().min(1).max(100).optional(),
  limit: Limit,
  cursor: Cursor,
});
export type ProductsQuery = z.infer<typeof ProductsQuery>;

export const SkuParams = z.object({ sku: Sku });
export type SkuParams = z.infer<typeof SkuParams>;
export const ProductQuery = StoreQuery;
export type ProductQuery = z.infer<typeof ProductQuery>;

/** One product as sold in one store. */
export const ProductView = z.object({
  sku: Sku,
  storeId: Id,
  name: z.string(),
  description: z.string().nullable(),
  category: z.string(),
  brand: z.string().nullable(),
  unit: z.string().nullable(),
  imageUrl: z.string().nullable(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  price: Money,
  available: z.int().nonnegative(),
  inStock: z.boolean(),
});
export type ProductView = z.infer<typeof ProductView>;

export const ProductPage = z.object({ items: z.array(ProductView), nextCursor: z.string().nullable() });
export type ProductPage = z.infer<typeof ProductPage>;
