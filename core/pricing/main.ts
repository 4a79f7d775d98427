import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { consumeOrderEvents } from "./consumers/order-events";
import type { Database } from "./db/schema";
import { pricingRpc } from "./rpc/pricing";
import { pricingParts } from "./wiring";

/** Prices per store and SKU, promotions, coupons, fees and signed cart quotes. */
export const pricingService: ServiceDefinition<Database> = {
  name: "pricing",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  grpc: (ctx) => [pricingRpc(pricingParts(ctx).quote)],
  background: async (ctx) => {
    const { prices, orders } = pricingParts(ctx);
    return [await prices.listen(), await consumeOrderEvents(ctx, orders)];
  },
};

if (import.meta.main) await runServiceMain(pricingService);
