import { type Kysely, sql } from "kysely";
import type { Database, NewPromotion, Promotion } from "./schema";

export async function insertPromotion(db: Kysely<Database>, promotion: NewPromotion): Promise<Promotion> {
  return db.insertInto("promotions").values(promotion).returningAll().executeTakeFirstOrThrow();
}

/** Promotions running at `now` in a store (or in every store) that cover any of `skus`. */
export async function activePromotions(
  db: Kysely<Database>,
  storeId: string,
  skus: string[],
  now: Date,
): Promise<Promotion[]> {
  return db
    .selectFrom("promotions")
    .selectAll()
    .where((eb) => eb.or([eb("store_id", "=", storeId), eb("store_id", "is", null)]))
    .where(sql<boolean>`skus && ${sql.val(skus)}::text[]`)
    .where("valid_from", "<=", now)
    .where("valid_to", ">", now)
    .execute();
}
