import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { reservationRoutes } from "./routes/reservations";
import { stockRoutes } from "./routes/stock";
import { stockTransferRoutes } from "./routes/stock-transfers";
import { inventoryParts } from "./wiring";

/** Mounts the inventory service's routes. */
export const app = (ctx: ServiceContext<Database>) => {
  const { shards } = inventoryParts(ctx);
  return new Elysia({ name: "inventory-routes" })
    .use(stockRoutes(ctx, shards))
    .use(reservationRoutes(ctx))
    .use(stockTransferRoutes(ctx, shards));
};
