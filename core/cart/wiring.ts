import type { ServiceContext } from "../shared/runtime/context";
import { inventoryClient } from "./clients/inventory-client";
import { pricingClient } from "./clients/pricing-client";
import { createCartStore } from "./db/cart-store";
import type { Database } from "./db/schema";
import { createCartReader } from "./use-cases/read-cart";

const built = new WeakMap<ServiceContext<Database>, ReturnType<typeof build>>();

const build = (ctx: ServiceContext<Database>) => {
  const store = createCartStore(ctx);
  const pricing = pricingClient(ctx);
  const readCart = createCartReader(ctx, store, pricing, inventoryClient(ctx));
  return { store, pricing, readCart };
};

/** The one cart store and downstream clients of a running service, shared by routes and background work. */
export function cartParts(ctx: ServiceContext<Database>) {
  let parts = built.get(ctx);
  if (!parts) {
    parts = build(ctx);
    built.set(ctx, parts);
  }
  return parts;
}
