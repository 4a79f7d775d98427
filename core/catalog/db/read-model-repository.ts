import type { CategoryView, PriceChangedData, ProductView, StockLevelChangedData } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { sendAhead } from "../../shared/db/pipeline";
import type { Database } from "./schema";

// The read model's writes are read by nobody in their transaction: a consumed batch sends them ahead (see
// sendAhead), so its price and stock changes leave with its commit instead of one round trip each.

/** Records a store's price for a SKU unless a newer price is already known. */
export function applyPrice(db: Kysely<Database>, data: PriceChangedData, at: Date): Promise<void> {
  const upsert = db
    .insertInto("store_products")
    .values({
      store_id: data.storeId,
      sku: data.sku,
      price_minor: data.price.amountMinor,
      currency: data.price.currency,
      price_at: at,
    })
    .onConflict((conflict) =>
      conflict
        .columns(["store_id", "sku"])
        .doUpdateSet((eb) => ({
          price_minor: eb.ref("excluded.price_minor"),
          currency: eb.ref("excluded.currency"),
          price_at: eb.ref("excluded.price_at"),
        }))
        .where((eb) =>
          eb.or([eb("store_products.price_at", "is", null), eb("store_products.price_at", "<=", at)]),
        ),
    );
  return sendAhead(db, upsert);
}

/** Records a store's available stock for a SKU unless a newer level is already known. */
export function applyStock(db: Kysely<Database>, data: StockLevelChangedData, at: Date): Promise<void> {
  const upsert = db
    .insertInto("store_products")
    .values({ store_id: data.storeId, sku: data.sku, available: data.available, stock_at: at })
    .onConflict((conflict) =>
      conflict
        .columns(["store_id", "sku"])
        .doUpdateSet((eb) => ({
          available: eb.ref("excluded.available"),
          stock_at: eb.ref("excluded.stock_at"),
        }))
        .where((eb) =>
          eb.or([eb("store_products.stock_at", "is", null), eb("store_products.stock_at", "<=", at)]),
        ),
    );
  return sendAhead(db, upsert);
}

// Products sold in one store: active, and priced there (an unpriced product cannot be bought).
const soldIn = (db: Kysely<Database>, storeId: string) =>
  db
    .selectFrom("products as p")
    .innerJoin("store_products as sp", (join) =>
      join.onRef("sp.sku", "=", "p.sku").on("sp.store_id", "=", storeId).on("sp.price_minor", "is not", null),
    )
    .where("p.active", "=", true);

const productViews = (db: Kysely<Database>, storeId: string) =>
  soldIn(db, storeId).select([
    "p.sku",
    "sp.store_id",
    "p.name",
    "p.description",
    "p.category_slug",
    "p.brand",
    "p.unit",
    "p.image_url",
    "p.attributes",
    "sp.price_minor",
    "sp.currency",
    "sp.available",
  ]);

type ViewRow = Awaited<ReturnType<ReturnType<typeof productViews>["executeTakeFirstOrThrow"]>>;

const toView = (row: ViewRow): ProductView => ({
  sku: row.sku,
  storeId: row.store_id,
  name: row.name,
  description: row.description,
  category: row.category_slug,
  brand: row.brand,
  unit: row.unit,
  imageUrl: row.image_url,
  attributes: row.attributes,
  // soldIn joins only priced rows; the fallbacks exist for the column types, not for real data.
  price: { amountMinor: row.price_minor ?? 0, currency: row.currency ?? "" },
  available: row.available,
  inStock: row.available > 0,
});

export interface ProductSearch {
  storeId: string;
  category?: string;
  /** A tsquery (see prefixTsQuery). */
  tsQuery?: string;
  /** Show items after this SKU's position in (name, sku) order. */
  afterSku?: string;
  limit: number;
}

/** One page of a store's products in (name, sku) order, plus whether more follow. */
export async function searchProducts(
  db: Kysely<Database>,
  search: ProductSearch,
): Promise<{ items: ProductView[]; more: boolean }> {
  let query = productViews(db, search.storeId);
  if (search.category) query = query.where("p.category_slug", "=", search.category);
  if (search.tsQuery) query = query.where(sql<boolean>`p.search @@ to_tsquery('simple', ${search.tsQuery})`);
  if (search.afterSku) {
    const after = search.afterSku;
    query = query.where(
      sql<boolean>`(p.name, p.sku) > (select name, sku from products where sku = ${after})`,
    );
  }
  const rows = await query
    .orderBy("p.name")
    .orderBy("p.sku")
    .limit(search.limit + 1)
    .execute();
  return { items: rows.slice(0, search.limit).map(toView), more: rows.length > search.limit };
}

/** One product as sold in one store, or undefined when the store does not sell it. */
export async function productInStore(
  db: Kysely<Database>,
  storeId: string,
  sku: string,
): Promise<ProductView | undefined> {
  const row = await productViews(db, storeId).where("p.sku", "=", sku).executeTakeFirst();
  return row && toView(row);
}

/** The categories a store sells, with how many of its products each holds. */
export async function categoryCounts(db: Kysely<Database>, storeId: string): Promise<CategoryView[]> {
  const rows = await soldIn(db, storeId)
    .innerJoin("categories as c", "c.slug", "p.category_slug")
    .select(["c.slug", "c.name", (eb) => eb.fn.countAll<number>().as("product_count")])
    .groupBy(["c.slug", "c.name"])
    .orderBy("c.name")
    .execute();
  return rows.map((row) => ({ slug: row.slug, name: row.name, productCount: Number(row.product_count) }));
}
