import { CartLines, type Line, Quote } from "@qc/contracts";
import { z } from "zod";
import type { Config } from "../../shared/config";
import { callJson, isTransient, UpstreamError } from "../../shared/http/client";
import { policyFor } from "../../shared/resilience";
import { serviceUrl } from "../../shared/runtime/context";

export type CouponOutcome = "redeemed" | "exhausted" | "used_by_shopper";

/** What placing an order needs from other services: the cart's lines, a price quote, a coupon redemption. */
export interface CheckoutClients {
  cartLines(userId: string, storeId: string): Promise<CartLines>;
  quote(request: { userId: string; storeId: string; lines: Line[]; couponCode?: string }): Promise<Quote>;
  /** Takes a use of the coupon for this order (idempotent per order), or says why not. */
  redeemCoupon(code: string, orderId: string, userId: string): Promise<CouponOutcome>;
  /** Gives the order's use back (an order that was never placed). */
  releaseCoupon(code: string, orderId: string): Promise<void>;
}

/** Clients of cart and pricing, each behind its own timeout + retry + breaker. */
export function checkoutClients(config: Config): CheckoutClients {
  const cart = policyFor("cart", {
    timeoutMs: 2_000,
    retries: 2,
    concurrency: 100,
    queue: 1_000,
    isTransient,
  });
  const pricing = policyFor("pricing", {
    timeoutMs: 2_000,
    retries: 2,
    concurrency: 100,
    queue: 1_000,
    isTransient,
  });
  const cartUrl = serviceUrl(config, "cart");
  const pricingUrl = serviceUrl(config, "pricing");
  return {
    cartLines: (userId, storeId) =>
      callJson(cart, { method: "GET", url: `${cartUrl}/internal/v1/carts/${userId}/${storeId}` }, CartLines),
    quote: (request) =>
      callJson(pricing, { method: "POST", url: `${pricingUrl}/internal/v1/quotes`, body: request }, Quote),
    async redeemCoupon(code, orderId, userId) {
      try {
        await callJson(
          pricing,
          {
            method: "POST",
            url: `${pricingUrl}/internal/v1/coupons/${encodeURIComponent(code)}/redemptions`,
            body: { orderId, userId },
          },
          z.unknown(),
        );
        return "redeemed";
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 409) {
          const type = (error.body as { type?: string } | null)?.type ?? "";
          return type.endsWith("coupon_used_by_shopper") ? "used_by_shopper" : "exhausted";
        }
        throw error;
      }
    },
    async releaseCoupon(code, orderId) {
      await callJson(
        pricing,
        {
          method: "DELETE",
          url: `${pricingUrl}/internal/v1/coupons/${encodeURIComponent(code)}/redemptions/${orderId}`,
        },
        z.unknown(),
      );
    },
  };
}
