import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import { checkoutClients } from "./clients/checkout-clients";
import type { Database } from "./db/schema";
import { adminOrderRoutes } from "./routes/admin-orders";
import { orderRoutes } from "./routes/orders";

/** Mounts the order service's routes. */
export const app = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "order-app" }).use(orderRoutes(ctx, checkoutClients(ctx))).use(adminOrderRoutes(ctx));
