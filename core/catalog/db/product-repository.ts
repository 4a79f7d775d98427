import type { UpsertProductBody } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Database, Product } from "./schema";

export type ProductFields = Omit<UpsertProductBody, "prices">;

/** A product row as admins see it. */
export const productFields = (row: Product): ProductFields => ({
  sku: row.sku,
  name: row.name,
  description: row.description,
  category: row.category_slug,
  brand: row.brand,
  unit: row.unit,
  imageUrl: row.image_url,
  attributes: row.attributes,
  active: row.active,
});

/** Makes sure the category exists; its display name is the one first seen. */
export async function ensureCategory(db: Kysely<Database>, slug: string, name: string): Promise<void> {
  await db
    .insertInto("categories")
    .values({ slug, name })
    .onConflict((conflict) => conflict.column("slug").doNothing())
    .execute();
}

/** Creates the product or replaces its fields. */
export async function upsertProduct(
  db: Kysely<Database>,
  product: ProductFields & { categorySlug: string },
): Promise<Product> {
  const values = {
    name: product.name,
    description: product.description,
    brand: product.brand,
    unit: product.unit,
    category_slug: product.categorySlug,
    image_url: product.imageUrl,
    attributes: JSON.stringify(product.attributes),
    active: product.active,
  };
  return db
    .insertInto("products")
    .values({ sku: product.sku, ...values })
    .onConflict((conflict) => conflict.column("sku").doUpdateSet({ ...values, updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Deletes a product; false when there was none. Its read-model rows stay, harmless without the product. */
export async function deleteProduct(db: Kysely<Database>, sku: string): Promise<boolean> {
  const deleted = await db.deleteFrom("products").where("sku", "=", sku).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}
