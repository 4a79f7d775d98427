import { CouponView, CreateCouponBody, CreatePromotionBody, PromotionView } from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { conflict } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { insertCoupon } from "../db/coupon-repository";
import { insertPromotion } from "../db/promotion-repository";
import type { Coupon, Database, Promotion } from "../db/schema";

const promotionView = (row: Promotion): PromotionView => ({
  promotionId: row.id,
  storeId: row.store_id,
  skus: row.skus,
  rule: row.rule,
  validFrom: row.valid_from.toISOString(),
  validTo: row.valid_to.toISOString(),
});

const couponView = (row: Coupon): CouponView => ({
  code: row.code,
  percentOff: row.percent_off,
  amountOffMinor: row.amount_off_minor,
  maxRedemptions: row.max_redemptions,
  maxPerShopper: row.max_per_shopper,
  redeemed: row.redeemed,
  validFrom: row.valid_from.toISOString(),
  validTo: row.valid_to.toISOString(),
});

/** Admins create promotions and coupons, each with a validity window. */
export const adminPromotionRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia()
    .use(identityFrom(ctx.config))
    /** A percentage, fixed or buy-X-get-Y promotion on some SKUs, in one store or all. */
    .post(
      "/v1/admin/promotions",
      async ({ identity, body, set }) => {
        requireRole(identity, "admin");
        const row = await insertPromotion(ctx.db, {
          id: Bun.randomUUIDv7(),
          store_id: body.storeId,
          skus: [...new Set(body.skus)],
          rule: JSON.stringify(body.rule),
          valid_from: new Date(body.validFrom),
          valid_to: new Date(body.validTo),
        });
        set.status = 201;
        return promotionView(row);
      },
      { body: CreatePromotionBody, response: { 201: PromotionView } },
    )
    /** A coupon with a usage limit; codes are unique and case-insensitive. */
    .post(
      "/v1/admin/coupons",
      async ({ identity, body, set }) => {
        requireRole(identity, "admin");
        const row = await insertCoupon(ctx.db, {
          code: body.code,
          percent_off: body.percentOff ?? null,
          amount_off_minor: body.amountOffMinor ?? null,
          max_redemptions: body.maxRedemptions,
          max_per_shopper: body.maxPerShopper,
          valid_from: new Date(body.validFrom),
          valid_to: new Date(body.validTo),
        });
        if (!row) throw conflict("coupon_exists", `Coupon ${body.code} already exists`);
        set.status = 201;
        return couponView(row);
      },
      { body: CreateCouponBody, response: { 201: CouponView } },
    );
