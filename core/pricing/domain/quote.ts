import type { PromotionRule, QuotedLine } from "@qc/contracts";
import { bestPromotionDiscount, type CouponTerms, couponDiscount } from "./discounts";

export interface FeeSchedule {
  deliveryFeeMinor: number;
  smallCartFeeMinor: number;
  /** Merchandise (after discounts) below this pays the small-cart fee. */
  smallCartThresholdMinor: number;
  surgeFeeMinor: number;
  /** The store is busy enough that surge applies. */
  surging: boolean;
}

export interface QuoteInput {
  lines: { sku: string; quantity: number; unitPriceMinor: number }[];
  /** Running promotion rules by SKU. */
  promotionsBySku: Map<string, PromotionRule[]>;
  coupon: CouponTerms | null;
  fees: FeeSchedule;
}

export interface QuoteAmounts {
  lines: QuotedLine[];
  subtotalMinor: number;
  discountMinor: number;
  deliveryFeeMinor: number;
  smallCartFeeMinor: number;
  surgeFeeMinor: number;
  totalMinor: number;
}

/**
 * Prices a cart: each line at its unit price less its best promotion, then the coupon on what is left,
 * then fees. `subtotalMinor` is before any discount; `discountMinor` holds promotions and coupon together,
 * so total = subtotal − discount + fees.
 */
export function quoteAmounts(input: QuoteInput): QuoteAmounts {
  const lines = input.lines.map((line): QuotedLine => {
    const gross = line.unitPriceMinor * line.quantity;
    const discount = bestPromotionDiscount(
      input.promotionsBySku.get(line.sku) ?? [],
      line.unitPriceMinor,
      line.quantity,
    );
    return { ...line, discountMinor: discount, lineTotalMinor: gross - discount };
  });
  const subtotalMinor = sum(lines.map((line) => line.unitPriceMinor * line.quantity));
  const afterPromotions = sum(lines.map((line) => line.lineTotalMinor));
  const couponOff = input.coupon ? couponDiscount(input.coupon, afterPromotions) : 0;
  const merchandise = afterPromotions - couponOff;
  const { fees } = input;
  const smallCartFeeMinor = merchandise < fees.smallCartThresholdMinor ? fees.smallCartFeeMinor : 0;
  const surgeFeeMinor = fees.surging ? fees.surgeFeeMinor : 0;
  return {
    lines,
    subtotalMinor,
    discountMinor: subtotalMinor - merchandise,
    deliveryFeeMinor: fees.deliveryFeeMinor,
    smallCartFeeMinor,
    surgeFeeMinor,
    totalMinor: merchandise + fees.deliveryFeeMinor + smallCartFeeMinor + surgeFeeMinor,
  };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
