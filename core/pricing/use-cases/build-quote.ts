import type { PromotionRule, Quote, QuoteRequest } from "@qc/contracts";
import { signQuote } from "../../shared/auth/quote-token";
import { AppError, conflict } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { findCoupon } from "../db/coupon-repository";
import type { OpenOrders } from "../db/open-orders";
import { storeTerms } from "../db/promotion-repository";
import type { Coupon, Database } from "../db/schema";
import { couponState } from "../domain/discounts";
import { quoteAmounts } from "../domain/quote";
import type { PriceBook } from "./price-book";

const unpriceable = (errors: { path: string; message: string }[]) =>
  new AppError(422, "unpriceable_lines", "Some lines cannot be priced in this store", errors);

const couponProblem = (status: number, code: string, message: string) =>
  new AppError(status, code, message, [{ path: "couponCode", message }]);

/** Refuses a coupon that cannot be used now, with the same codes as redemption. */
function usableCoupon(coupon: Coupon | undefined, now: Date): Coupon {
  if (!coupon) throw couponProblem(422, "coupon_unknown", "The coupon does not exist");
  const state = couponState(
    {
      validFrom: coupon.valid_from,
      validTo: coupon.valid_to,
      redeemed: coupon.redeemed,
      maxRedemptions: coupon.max_redemptions,
    },
    now,
  );
  if (state === "exhausted") throw conflict("coupon_exhausted", "The coupon has no uses left");
  if (state !== "usable") throw couponProblem(422, "coupon_expired", "The coupon is not valid now");
  return coupon;
}

/**
 * Quotes a cart: prices (through the cache), the store's fee and promotions (one statement), the coupon and
 * the store's load are read in parallel, then the pure quote math runs and the result is signed with an expiry.
 */
export function createQuoting(ctx: ServiceContext<Database>, prices: PriceBook, orders: OpenOrders) {
  const { config } = ctx;
  return async function quote(request: QuoteRequest, now = new Date()): Promise<Quote> {
    const skus = request.lines.map((line) => line.sku);
    const [unitPrices, terms, coupon, openOrderCount] = await Promise.all([
      Promise.all(skus.map((sku) => prices.price(request.storeId, sku))),
      storeTerms(ctx.db, request.storeId, skus, now),
      request.couponCode ? findCoupon(ctx.db, request.couponCode.toUpperCase()) : undefined,
      orders.count(request.storeId),
    ]);

    const missing = unitPrices.flatMap((price, index) =>
      price ? [] : [{ path: `lines.${index}.sku`, message: `${skus[index]} has no price in this store` }],
    );
    if (missing.length > 0) throw unpriceable(missing);
    const currencies = new Set(unitPrices.map((price) => price?.currency));
    if (currencies.size > 1)
      throw unpriceable([{ path: "lines", message: "prices are in several currencies" }]);

    const promotionsBySku = new Map<string, PromotionRule[]>();
    for (const promotion of terms.promotions)
      for (const sku of promotion.skus)
        promotionsBySku.set(sku, [...(promotionsBySku.get(sku) ?? []), promotion.rule]);
    const usable = request.couponCode ? usableCoupon(coupon, now) : null;

    const amounts = quoteAmounts({
      lines: request.lines.map((line, index) => ({
        ...line,
        unitPriceMinor: unitPrices[index]?.amountMinor ?? 0,
      })),
      promotionsBySku,
      coupon: usable && { percentOff: usable.percent_off, amountOffMinor: usable.amount_off_minor },
      fees: {
        deliveryFeeMinor: terms.deliveryFeeMinor ?? config.PRICING_DELIVERY_FEE_MINOR,
        smallCartFeeMinor: config.PRICING_SMALL_CART_FEE_MINOR,
        smallCartThresholdMinor: config.PRICING_SMALL_CART_THRESHOLD_MINOR,
        surgeFeeMinor: config.PRICING_SURGE_FEE_MINOR,
        surging: openOrderCount >= config.PRICING_SURGE_OPEN_ORDERS,
      },
    });
    return signQuote(
      {
        quoteId: Bun.randomUUIDv7(),
        userId: request.userId,
        storeId: request.storeId,
        currency: [...currencies][0] ?? "",
        ...amounts,
        couponCode: usable?.code ?? null,
        expiresAt: new Date(now.getTime() + config.PRICING_QUOTE_TTL_SECONDS * 1000).toISOString(),
      },
      config.PRICING_QUOTE_SECRET,
    );
  };
}

export type Quoting = ReturnType<typeof createQuoting>;
