import { describe, expect, it } from "bun:test";
import type { PromotionRule } from "@qc/contracts";
import { couponState } from "./discounts";
import { type FeeSchedule, quoteAmounts } from "./quote";

const fees: FeeSchedule = {
  deliveryFeeMinor: 1990,
  smallCartFeeMinor: 990,
  smallCartThresholdMinor: 10_000,
  surgeFeeMinor: 1500,
  surging: false,
};
const promos = (entries: [string, PromotionRule[]][]) => new Map(entries);

describe("quote amounts", () => {
  it("adds delivery and small-cart fees to a small cart with no discounts", () => {
    const quote = quoteAmounts({
      lines: [{ sku: "MILK-1L", quantity: 2, unitPriceMinor: 3000 }],
      promotionsBySku: new Map(),
      coupon: null,
      fees,
    });
    expect(quote).toMatchObject({
      subtotalMinor: 6000,
      discountMinor: 0,
      smallCartFeeMinor: 990,
      totalMinor: 8980,
    });
  });

  it("applies the best promotion per line, not both", () => {
    const quote = quoteAmounts({
      lines: [{ sku: "EGGS-12", quantity: 3, unitPriceMinor: 10_000 }],
      promotionsBySku: promos([
        [
          "EGGS-12",
          [
            { kind: "percentage", percentOff: 10 },
            { kind: "fixed", amountOffMinor: 2000 },
          ],
        ],
      ]),
      coupon: null,
      fees,
    });
    expect(quote.lines[0]).toMatchObject({ discountMinor: 6000, lineTotalMinor: 24_000 });
    expect(quote.smallCartFeeMinor).toBe(0);
    expect(quote.totalMinor).toBe(24_000 + 1990);
  });

  it("gives one free unit per complete buy-2-get-1 bundle", () => {
    const quote = quoteAmounts({
      lines: [{ sku: "SODA-330", quantity: 7, unitPriceMinor: 4000 }],
      promotionsBySku: promos([["SODA-330", [{ kind: "buy_x_get_y", buyQuantity: 2, getQuantity: 1 }]]]),
      coupon: null,
      fees,
    });
    expect(quote.lines[0]?.discountMinor).toBe(2 * 4000);
  });

  it("takes the coupon off what promotions left, then charges the small-cart fee on the result", () => {
    const quote = quoteAmounts({
      lines: [{ sku: "RICE-5KG", quantity: 1, unitPriceMinor: 12_000 }],
      promotionsBySku: promos([["RICE-5KG", [{ kind: "percentage", percentOff: 10 }]]]),
      coupon: { percentOff: 10, amountOffMinor: null },
      fees: { ...fees, surging: true },
    });
    // 12000 − 1200 promotion = 10800; − 1080 coupon = 9720 < 10000 → small-cart fee; surge on.
    expect(quote).toMatchObject({
      subtotalMinor: 12_000,
      discountMinor: 2280,
      smallCartFeeMinor: 990,
      surgeFeeMinor: 1500,
      totalMinor: 9720 + 1990 + 990 + 1500,
    });
  });

  it("never takes more off than the merchandise is worth", () => {
    const quote = quoteAmounts({
      lines: [{ sku: "GUM-1", quantity: 1, unitPriceMinor: 500 }],
      promotionsBySku: new Map(),
      coupon: { percentOff: null, amountOffMinor: 5000 },
      fees,
    });
    expect(quote.discountMinor).toBe(500);
    expect(quote.totalMinor).toBe(1990 + 990);
  });
});

describe("coupon state", () => {
  const window = { validFrom: new Date("2026-01-01T00:00:00Z"), validTo: new Date("2026-02-01T00:00:00Z") };
  it("is expired after its window and exhausted at its limit", () => {
    expect(couponState({ ...window, redeemed: 0, maxRedemptions: 1 }, new Date("2026-03-01T00:00:00Z"))).toBe(
      "expired",
    );
    expect(couponState({ ...window, redeemed: 1, maxRedemptions: 1 }, new Date("2026-01-15T00:00:00Z"))).toBe(
      "exhausted",
    );
    expect(couponState({ ...window, redeemed: 0, maxRedemptions: 1 }, new Date("2026-01-15T00:00:00Z"))).toBe(
      "usable",
    );
  });
});
