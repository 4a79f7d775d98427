import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { cardProcessorRoutes } from "./routes/card-processor";
import { ledgerRoutes } from "./routes/ledger";

/** Mounts the payment service's routes (the simulator's latency dial everywhere but production). */
export const app = (ctx: ServiceContext<Database>) => {
  const routes = new Elysia({ name: "payment-routes" }).use(ledgerRoutes(ctx));
  return ctx.config.NODE_ENV === "production" ? routes : routes.use(cardProcessorRoutes(ctx));
};
