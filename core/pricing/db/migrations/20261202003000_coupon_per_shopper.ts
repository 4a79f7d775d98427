import type { Kysely } from "kysely";

// How many orders one shopper may use a coupon on (issue 11: one coupon used on every order). Existing
// coupons keep their behaviour as far as possible: one use per shopper is the default for new ones.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("coupons")
    .addColumn("max_per_shopper", "integer", (col) => col.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createIndex("coupon_redemptions_by_shopper")
    .on("coupon_redemptions")
    .columns(["code", "user_id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("coupon_redemptions_by_shopper").execute();
  await db.schema.alterTable("coupons").dropColumn("max_per_shopper").execute();
}
