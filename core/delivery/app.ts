import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { deliveryRoutes } from "./routes/deliveries";
import { pickTaskRoutes } from "./routes/pick-tasks";
import { riderRoutes } from "./routes/riders";
import { deliveryParts } from "./wiring";

/** Mounts the delivery service's routes. */
export const app = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "delivery-routes" })
    .use(riderRoutes(ctx))
    .use(deliveryRoutes(ctx))
    .use(pickTaskRoutes(ctx, deliveryParts(ctx).floor));
