import type { ServiceContext } from "../shared/runtime/context";
import { inventoryClient } from "./clients/inventory-client";
import { pricingClient } from "./clients/pricing-client";
import { createCartStore } from "./db/cart-store";
import type { Database } from "./db/schema";
import { createCartReader } from "./use-cases/read-cart";

const built = new WeakMap<ServiceContext<Database>, ReturnType<typeof build>>();

const build = (ctx: ServiceContext<Database>) => {
  const store = createCartStore(ctx);
  const carts = createCartReader(ctx, store, pricingClient(ctx), inventoryClient(ctx));
  return { store, carts };
};

/** The one cart store and cart reader of a running service, shared by routes and background work. */
export function cartParts(ctx: ServiceContext<Database>) {
  let parts = built.get(ctx);
  if (!parts) {
    parts = build(ctx);
    built.set(ctx, parts);
  }
  return parts;
}
