import { type Kysely, sql } from "kysely";
import type { Coupon, CouponRedemptionRow, Database, NewCoupon } from "./schema";

export async function insertCoupon(db: Kysely<Database>, coupon: NewCoupon): Promise<Coupon | undefined> {
  return db
    .insertInto("coupons")
    .values(coupon)
    .onConflict((conflict) => conflict.column("code").doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findCoupon(db: Kysely<Database>, code: string): Promise<Coupon | undefined> {
  return db.selectFrom("coupons").selectAll().where("code", "=", code).executeTakeFirst();
}

/** Records that an order holds a use; undefined when the order already has a redemption row. */
export async function insertRedemption(
  db: Kysely<Database>,
  redemption: { order_id: string; code: string; user_id: string },
): Promise<CouponRedemptionRow | undefined> {
  return db
    .insertInto("coupon_redemptions")
    .values(redemption)
    .onConflict((conflict) => conflict.column("order_id").doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findRedemption(
  db: Kysely<Database>,
  orderId: string,
): Promise<CouponRedemptionRow | undefined> {
  return db.selectFrom("coupon_redemptions").selectAll().where("order_id", "=", orderId).executeTakeFirst();
}

/**
 * How many orders other than `orderId` this shopper holds a use of the coupon for. Serialised per coupon and
 * shopper for the rest of the transaction, so two concurrent orders of one shopper cannot both pass the cap.
 */
export async function shopperUses(
  db: Kysely<Database>,
  redemption: { code: string; user_id: string; order_id: string },
): Promise<number> {
  await sql`select pg_advisory_xact_lock(hashtext(${redemption.code}), hashtext(${redemption.user_id}))`.execute(
    db,
  );
  const row = await db
    .selectFrom("coupon_redemptions")
    .select((eb) => eb.fn.countAll<number>().as("uses"))
    .where("code", "=", redemption.code)
    .where("user_id", "=", redemption.user_id)
    .where("order_id", "<>", redemption.order_id)
    .executeTakeFirstOrThrow();
  return Number(row.uses);
}

/**
 * Takes one use if any is left. The condition is re-checked on the row after its lock is acquired, so
 * concurrent redemptions queue on the row and never take more than `max_redemptions`.
 */
export async function takeCouponUse(db: Kysely<Database>, code: string): Promise<boolean> {
  const taken = await db
    .updateTable("coupons")
    .set((eb) => ({ redeemed: eb("redeemed", "+", 1) }))
    .where("code", "=", code)
    .whereRef("redeemed", "<", "max_redemptions")
    .returning("redeemed")
    .executeTakeFirst();
  return taken !== undefined;
}

/** Gives an order's coupon use back; false when the order held none (or already gave it back). */
export async function releaseRedemption(db: Kysely<Database>, orderId: string): Promise<boolean> {
  const released = await db
    .deleteFrom("coupon_redemptions")
    .where("order_id", "=", orderId)
    .returning("code")
    .executeTakeFirst();
  if (!released) return false;
  await db
    .updateTable("coupons")
    .set((eb) => ({ redeemed: eb("redeemed", "-", 1) }))
    .where("code", "=", released.code)
    .execute();
  return true;
}
