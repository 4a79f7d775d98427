import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";

export interface StoresTable {
  id: string;
  name: string;
  lat: number;
  lng: number;
  service_radius_meters: number;
  active: boolean;
  updated_at: Generated<Date>;
}

export interface CategoriesTable {
  slug: string;
  name: string;
}

export type Attributes = Record<string, string | number | boolean>;

export interface ProductsTable {
  sku: string;
  name: string;
  description: string | null;
  brand: string | null;
  unit: string | null;
  category_slug: string;
  image_url: string | null;
  attributes: ColumnType<Attributes, string, string>;
  active: boolean;
  updated_at: Generated<Date>;
  /** Generated from name, brand and description. */
  search: ColumnType<string, never, never>;
}

/** The read model: one product's price and availability in one store, as learned from events. */
export interface StoreProductsTable {
  store_id: string;
  sku: string;
  price_minor: number | null;
  currency: string | null;
  price_at: Date | null;
  available: Generated<number>;
  stock_at: Date | null;
}

/** The catalog schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  stores: StoresTable;
  categories: CategoriesTable;
  products: ProductsTable;
  store_products: StoreProductsTable;
}

export type Store = Selectable<StoresTable>;
export type NewStore = Insertable<StoresTable>;
export type Product = Selectable<ProductsTable>;
export type NewProduct = Insertable<ProductsTable>;
