import type { CartLines, Line, Quote, QuoteRequest } from "@qc/contracts";
import type { Config } from "../../shared/config";

export const UNIT_PRICE_MINOR = 250;
export const DELIVERY_FEE_MINOR = 30;

/**
 * Cart and pricing answering their internal contracts on the environment's ports, for the order
 * service's own tests (the cross-service tests in core/tests use the real services). Carts are set
 * by the test; every SKU costs UNIT_PRICE_MINOR.
 */
export function startCheckoutStandIn(config: Config) {
  const carts = new Map<string, Line[]>();
  const cart = Bun.serve({
    hostname: config.HOST,
    port: config.CART_PORT,
    fetch(request) {
      const [, , , , userId = "", storeId = ""] = new URL(request.url).pathname.split("/");
      const body: CartLines = { userId, storeId, lines: carts.get(`${userId}:${storeId}`) ?? [] };
      return Response.json(body);
    },
  });
  const pricing = Bun.serve({
    hostname: config.HOST,
    port: config.PRICING_PORT,
    async fetch(request) {
      const quoteRequest = (await request.json()) as QuoteRequest;
      const lines = quoteRequest.lines.map((line) => ({
        ...line,
        unitPriceMinor: UNIT_PRICE_MINOR,
        discountMinor: 0,
        lineTotalMinor: UNIT_PRICE_MINOR * line.quantity,
      }));
      const subtotalMinor = lines.reduce((sum, line) => sum + line.lineTotalMinor, 0);
      const quote: Quote = {
        quoteId: crypto.randomUUID(),
        userId: quoteRequest.userId,
        storeId: quoteRequest.storeId,
        currency: "INR",
        lines,
        subtotalMinor,
        discountMinor: 0,
        deliveryFeeMinor: DELIVERY_FEE_MINOR,
        smallCartFeeMinor: 0,
        surgeFeeMinor: 0,
        totalMinor: subtotalMinor + DELIVERY_FEE_MINOR,
        couponCode: null,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        token: "stand-in",
      };
      return Response.json(quote);
    },
  });
  return {
    setCart: (userId: string, storeId: string, lines: Line[]) => carts.set(`${userId}:${storeId}`, lines),
    stop() {
      cart.stop(true);
      pricing.stop(true);
    },
  };
}
