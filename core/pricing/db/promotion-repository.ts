import { type Kysely, sql } from "kysely";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import type { Database, NewPromotion, Promotion } from "./schema";

export async function insertPromotion(db: Kysely<Database>, promotion: NewPromotion): Promise<Promotion> {
  return db.insertInto("promotions").values(promotion).returningAll().executeTakeFirstOrThrow();
}

/**
 * What a quote needs from the store besides prices, in one statement: the store's own delivery fee (null when
 * it uses the default) and the rules of the promotions running at `now` in it (or in every store) that cover
 * any of `skus`.
 */
export async function storeTerms(db: Kysely<Database>, storeId: string, skus: string[], now: Date) {
  return db
    .selectNoFrom((eb) => [
      eb
        .selectFrom("store_fees")
        .select("delivery_fee_minor")
        .where("store_id", "=", storeId)
        .as("deliveryFeeMinor"),
      jsonArrayFrom(
        eb
          .selectFrom("promotions")
          .select(["skus", "rule"])
          .where((inner) => inner.or([inner("store_id", "=", storeId), inner("store_id", "is", null)]))
          .where(sql<boolean>`skus && ${sql.val(skus)}::text[]`)
          .where("valid_from", "<=", now)
          .where("valid_to", ">", now),
      ).as("promotions"),
    ])
    .executeTakeFirstOrThrow();
}
