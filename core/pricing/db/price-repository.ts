import type { Kysely } from "kysely";
import type { Database, NewPrice, Price } from "./schema";

/** Sets a store's price of a SKU. */
export async function upsertPrice(db: Kysely<Database>, price: NewPrice): Promise<Price> {
  return db
    .insertInto("prices")
    .values(price)
    .onConflict((conflict) =>
      conflict.columns(["store_id", "sku"]).doUpdateSet((eb) => ({
        amount_minor: eb.ref("excluded.amount_minor"),
        currency: eb.ref("excluded.currency"),
        updated_at: new Date(),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A store's price of a SKU, if it has one. */
export async function findPrice(
  db: Kysely<Database>,
  storeId: string,
  sku: string,
): Promise<Price | undefined> {
  return db
    .selectFrom("prices")
    .selectAll()
    .where("store_id", "=", storeId)
    .where("sku", "=", sku)
    .executeTakeFirst();
}
