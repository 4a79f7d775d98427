import type { PromotionRule } from "@qc/contracts";
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";

export interface PriceTable {
  store_id: string;
  sku: string;
  amount_minor: number;
  currency: string;
  updated_at: Generated<Date>;
}

export interface PromotionTable {
  id: string;
  /** Null: the promotion runs in every store. */
  store_id: string | null;
  skus: string[];
  rule: ColumnType<PromotionRule, string, string>;
  valid_from: Date;
  valid_to: Date;
  created_at: Generated<Date>;
}

export interface CouponTable {
  code: string;
  percent_off: number | null;
  amount_off_minor: number | null;
  max_redemptions: number;
  /** Orders one shopper may use it on. */
  max_per_shopper: Generated<number>;
  redeemed: Generated<number>;
  valid_from: Date;
  valid_to: Date;
  created_at: Generated<Date>;
}

/** One row per order that holds a coupon use; deleting it gives the use back. */
export interface CouponRedemptionTable {
  order_id: string;
  code: string;
  user_id: string;
  redeemed_at: Generated<Date>;
}

export interface StoreFeeTable {
  store_id: string;
  delivery_fee_minor: number;
  updated_at: Generated<Date>;
}

/** The pricing schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  prices: PriceTable;
  promotions: PromotionTable;
  coupons: CouponTable;
  coupon_redemptions: CouponRedemptionTable;
  store_fees: StoreFeeTable;
}

export type Price = Selectable<PriceTable>;
export type NewPrice = Insertable<PriceTable>;
export type Promotion = Selectable<PromotionTable>;
export type NewPromotion = Insertable<PromotionTable>;
export type Coupon = Selectable<CouponTable>;
export type NewCoupon = Insertable<CouponTable>;
export type CouponRedemptionRow = Selectable<CouponRedemptionTable>;
