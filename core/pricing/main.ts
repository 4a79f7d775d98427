import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** Prices per store and SKU, promotions, coupons, fees and signed cart quotes. */
export const pricingService: ServiceDefinition<Database> = {
  name: "pricing",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(pricingService);
