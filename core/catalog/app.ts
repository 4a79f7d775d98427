import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import { pricingClient } from "./clients/pricing";
import type { Database } from "./db/schema";
import { adminProductRoutes } from "./routes/admin-products";
import { browseRoutes } from "./routes/browse";
import { storeRoutes } from "./routes/stores";

/** Mounts the catalog service's routes. */
export const app = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "catalog-routes" })
    .use(storeRoutes(ctx))
    .use(browseRoutes(ctx))
    .use(adminProductRoutes(ctx, pricingClient(ctx.config)));
