import { CartLines, type Line, Quote, QuoteRequest } from "@qc/contracts";
import { Cart, Pricing } from "@qc/contracts/grpc/services";
import type { Config } from "../../shared/config";
import { startGrpcServer, unary } from "../../shared/grpc/server";
import { grpcPortOf } from "../../shared/runtime/context";
import { createLogger } from "../../shared/telemetry/logger";

export const UNIT_PRICE_MINOR = 250;
export const DELIVERY_FEE_MINOR = 30;

const quoteOf = (request: QuoteRequest): Quote => {
  const lines = request.lines.map((line) => ({
    ...line,
    unitPriceMinor: UNIT_PRICE_MINOR,
    discountMinor: 0,
    lineTotalMinor: UNIT_PRICE_MINOR * line.quantity,
  }));
  const subtotalMinor = lines.reduce((sum, line) => sum + line.lineTotalMinor, 0);
  return {
    quoteId: crypto.randomUUID(),
    userId: request.userId,
    storeId: request.storeId,
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
};

/**
 * Cart and pricing answering their gRPC contracts (signed calls only, like the real ones) on the environment's
 * ports, and pricing's coupon routes over HTTP, for the order service's own tests (the cross-service tests in
 * core/tests use the real services). Carts are set by the test; every SKU costs UNIT_PRICE_MINOR.
 */
export async function startCheckoutStandIn(config: Config) {
  const carts = new Map<string, Line[]>();
  const logger = createLogger("stand-in", "silent");
  const cart = await startGrpcServer({ name: "cart", config, logger }, grpcPortOf(config, "cart"), [
    {
      service: Cart,
      unary: {
        getCartLines: unary({
          input: CartLines.pick({ userId: true, storeId: true }),
          output: CartLines,
          handle: async (ref) => ({ ...ref, lines: carts.get(`${ref.userId}:${ref.storeId}`) ?? [] }),
        }),
      },
    },
  ]);
  const pricing = await startGrpcServer({ name: "pricing", config, logger }, grpcPortOf(config, "pricing"), [
    {
      service: Pricing,
      unary: {
        quoteCart: unary({ input: QuoteRequest, output: Quote, handle: async (request) => quoteOf(request) }),
      },
    },
  ]);
  // Every coupon redemption and release succeeds.
  const coupons = Bun.serve({
    hostname: config.HOST,
    port: config.PRICING_PORT,
    fetch: () => Response.json({}),
  });
  return {
    setCart: (userId: string, storeId: string, lines: Line[]) => carts.set(`${userId}:${storeId}`, lines),
    async stop() {
      coupons.stop(true);
      await Promise.all([cart.stop(), pricing.stop()]);
    },
  };
}
