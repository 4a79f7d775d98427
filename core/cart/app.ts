import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { cartRoutes } from "./routes/cart";
import { cartParts } from "./wiring";

/** Mounts the cart service's routes. */
export const app = (ctx: ServiceContext<Database>) => {
  const { store, carts } = cartParts(ctx);
  return new Elysia({ name: "cart-routes" }).use(cartRoutes(ctx, store, carts));
};
