import type { PromotionRule } from "@qc/contracts";

/** What a promotion takes off one line of `quantity` units at `unitPriceMinor` each. */
export function promotionDiscount(rule: PromotionRule, unitPriceMinor: number, quantity: number): number {
  switch (rule.kind) {
    case "percentage":
      // Rounded down: the shopper never gets more off than the promotion says.
      return Math.floor((unitPriceMinor * quantity * rule.percentOff) / 100);
    case "fixed":
      return Math.min(rule.amountOffMinor, unitPriceMinor) * quantity;
    case "buy_x_get_y": {
      const bundles = Math.floor(quantity / (rule.buyQuantity + rule.getQuantity));
      return bundles * rule.getQuantity * unitPriceMinor;
    }
  }
}

/** The best of the promotions covering a line; promotions do not stack. */
export function bestPromotionDiscount(
  rules: PromotionRule[],
  unitPriceMinor: number,
  quantity: number,
): number {
  return rules.reduce((best, rule) => Math.max(best, promotionDiscount(rule, unitPriceMinor, quantity)), 0);
}

export interface CouponTerms {
  percentOff: number | null;
  amountOffMinor: number | null;
}

/** What a coupon takes off the merchandise left after promotions; never more than that amount. */
export function couponDiscount(coupon: CouponTerms, merchandiseMinor: number): number {
  const off =
    coupon.percentOff !== null
      ? Math.floor((merchandiseMinor * coupon.percentOff) / 100)
      : (coupon.amountOffMinor ?? 0);
  return Math.min(off, merchandiseMinor);
}

export type CouponState = "usable" | "not_yet_valid" | "expired" | "exhausted";

/** Whether a coupon can be used at `now`. */
export function couponState(
  coupon: { validFrom: Date; validTo: Date; redeemed: number; maxRedemptions: number },
  now: Date,
): CouponState {
  if (now < coupon.validFrom) return "not_yet_valid";
  if (now >= coupon.validTo) return "expired";
  if (coupon.redeemed >= coupon.maxRedemptions) return "exhausted";
  return "usable";
}
