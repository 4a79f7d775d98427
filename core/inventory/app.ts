import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { availabilityRoutes } from "./routes/availability";
import { stockRoutes } from "./routes/stock";

/** Mounts the inventory service's routes. */
export const app = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "inventory-routes" }).use(stockRoutes(ctx)).use(availabilityRoutes(ctx));
