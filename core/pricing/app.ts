import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { adminFeeRoutes } from "./routes/admin-fees";
import { adminPriceRoutes } from "./routes/admin-prices";
import { adminPromotionRoutes } from "./routes/admin-promotions";
import { couponRedemptionRoutes } from "./routes/coupon-redemptions";
import { quoteRoutes } from "./routes/quotes";
import { pricingParts } from "./wiring";

/** Mounts the pricing service's routes. */
export const app = (ctx: ServiceContext<Database>) => {
  const { prices, quote } = pricingParts(ctx);
  return new Elysia({ name: "pricing-routes" })
    .use(adminPriceRoutes(ctx, prices))
    .use(adminPromotionRoutes(ctx))
    .use(adminFeeRoutes(ctx))
    .use(couponRedemptionRoutes(ctx))
    .use(quoteRoutes(ctx, quote));
};
