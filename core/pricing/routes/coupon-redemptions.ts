import { CouponRedemption, CouponRedemptionRequest } from "@qc/contracts";
import { Elysia } from "elysia";
import { z } from "zod";
import { transact } from "../../shared/db/transaction";
import { AppError, conflict, notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import {
  findCoupon,
  findRedemption,
  insertRedemption,
  releaseRedemption,
  shopperUses,
  takeCouponUse,
} from "../db/coupon-repository";
import type { CouponRedemptionRow, Database } from "../db/schema";
import { couponState } from "../domain/discounts";

const view = (row: CouponRedemptionRow): CouponRedemption => ({
  couponCode: row.code,
  orderId: row.order_id,
  userId: row.user_id,
  redeemedAt: row.redeemed_at.toISOString(),
});

/**
 * The order service redeems a coupon once per order. Idempotent per orderId: a repeat answers the first
 * redemption. The redemption row and the use are taken in one transaction; the use is a conditional
 * UPDATE, so 50 concurrent redemptions of a 10-use coupon give exactly 10. A shopper may hold uses on at
 * most `max_per_shopper` orders (409 coupon_used_by_shopper). DELETE gives an order's use back (the order
 * service calls it when the order it redeemed for was never placed).
 */
export const couponRedemptionRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia()
    .delete(
      "/internal/v1/coupons/:code/redemptions/:orderId",
      async ({ params, set }) => {
        const held = await findRedemption(ctx.db, params.orderId);
        if (held && held.code === params.code.toUpperCase())
          await transact(ctx.db, (trx) => releaseRedemption(trx, params.orderId));
        set.status = 204;
      },
      { params: z.object({ code: z.string().min(1).max(64), orderId: z.uuid() }) },
    )
    .post(
      "/internal/v1/coupons/:code/redemptions",
      async ({ params, body, set }) => {
        const code = params.code.toUpperCase();
        const coupon = await findCoupon(ctx.db, code);
        if (!coupon) throw notFound(`Coupon ${code}`);
        const now = new Date();
        const window = {
          validFrom: coupon.valid_from,
          validTo: coupon.valid_to,
          redeemed: 0,
          maxRedemptions: 1,
        };
        if (couponState(window, now) !== "usable")
          throw new AppError(422, "coupon_expired", `Coupon ${code} is not valid now`);

        const redemption = await ctx.db.transaction().execute(async (trx) => {
          const wanted = { order_id: body.orderId, code, user_id: body.userId };
          if ((await shopperUses(trx, wanted)) >= coupon.max_per_shopper)
            throw conflict(
              "coupon_used_by_shopper",
              `Coupon ${code} was already used on another of your orders`,
            );
          // A concurrent redemption for the same order waits here for the first one to commit or roll back.
          const inserted = await insertRedemption(trx, wanted);
          if (!inserted) return findRedemption(trx, body.orderId);
          if (!(await takeCouponUse(trx, code)))
            throw conflict("coupon_exhausted", `Coupon ${code} has no uses left`);
          return inserted;
        });
        if (!redemption || redemption.code !== code)
          throw conflict("order_has_other_coupon", "This order already redeemed another coupon");
        set.status = 201;
        return view(redemption);
      },
      {
        params: z.object({ code: z.string().min(1).max(64) }),
        body: CouponRedemptionRequest,
        response: { 201: CouponRedemption },
      },
    );
