import { type Kysely, sql } from "kysely";

// Prices per store and SKU, promotions, coupons and the orders holding a coupon use.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("prices")
    .addColumn("store_id", "uuid", (col) => col.notNull())
    .addColumn("sku", "text", (col) => col.notNull())
    .addColumn("amount_minor", "bigint", (col) => col.notNull().check(sql`amount_minor >= 0`))
    .addColumn("currency", "char(3)", (col) => col.notNull())
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("prices_pk", ["store_id", "sku"])
    .execute();

  await db.schema
    .createTable("promotions")
    .addColumn("id", "uuid", (col) => col.primaryKey())
    .addColumn("store_id", "uuid")
    .addColumn("skus", sql`text[]`, (col) => col.notNull())
    .addColumn("rule", "jsonb", (col) => col.notNull())
    .addColumn("valid_from", "timestamptz", (col) => col.notNull())
    .addColumn("valid_to", "timestamptz", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("promotions_window", sql`valid_to > valid_from`)
    .execute();
  // Quotes look promotions up by SKU.
  await sql`create index promotions_skus on promotions using gin (skus)`.execute(db);

  await db.schema
    .createTable("coupons")
    .addColumn("code", "text", (col) => col.primaryKey())
    .addColumn("percent_off", "integer")
    .addColumn("amount_off_minor", "bigint")
    .addColumn("max_redemptions", "integer", (col) => col.notNull())
    .addColumn("redeemed", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("valid_from", "timestamptz", (col) => col.notNull())
    .addColumn("valid_to", "timestamptz", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("coupons_one_discount", sql`(percent_off is null) <> (amount_off_minor is null)`)
    .addCheckConstraint("coupons_within_limit", sql`redeemed >= 0 and redeemed <= max_redemptions`)
    .execute();

  await db.schema
    .createTable("coupon_redemptions")
    .addColumn("order_id", "uuid", (col) => col.primaryKey())
    .addColumn("code", "text", (col) => col.notNull().references("coupons.code"))
    .addColumn("user_id", "uuid", (col) => col.notNull())
    .addColumn("redeemed_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("coupon_redemptions").execute();
  await db.schema.dropTable("coupons").execute();
  await db.schema.dropTable("promotions").execute();
  await db.schema.dropTable("prices").execute();
}
