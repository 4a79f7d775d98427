import { CartLines, type Line, Quote } from "@qc/contracts";
import { Cart, Pricing } from "@qc/contracts/grpc/services";
import { z } from "zod";
import { deadlinePolicy, type GrpcCaller, grpcClient } from "../../shared/grpc/client";
import { callJson, UpstreamError } from "../../shared/http/client";
import { serviceUrl } from "../../shared/runtime/context";

// Each checkout call's gRPC deadline (the callee sees it too); the policy's timeout is only its backstop.
const DEADLINE_MS = 2_000;

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

/**
 * Clients of cart and pricing, each behind its own deadline + retry + breaker: cart lines and quotes over gRPC
 * (reads, so retried), coupon redemptions over pricing's HTTP routes under the same pricing policy.
 */
export function checkoutClients(order: GrpcCaller): CheckoutClients {
  const policy = (name: string) =>
    deadlinePolicy(name, DEADLINE_MS, { retries: 2, concurrency: 100, queue: 1_000 });
  const pricing = policy("pricing");
  const cart = grpcClient(
    order,
    { callee: "cart", service: Cart },
    { policy: policy("cart"), deadlineMs: DEADLINE_MS },
  );
  const quotes = grpcClient(
    order,
    { callee: "pricing", service: Pricing },
    { policy: pricing, deadlineMs: DEADLINE_MS },
  );
  const pricingUrl = serviceUrl(order.config, "pricing");
  return {
    cartLines: (userId, storeId) => cart.call("getCartLines", { userId, storeId }, CartLines),
    quote: (request) => quotes.call("quoteCart", request, Quote),
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
