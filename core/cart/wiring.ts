import type { ServiceContext } from "../shared/runtime/context";
import { createCartStore } from "./cart-store";
import { inventoryClient } from "./clients/inventory-client";
import { pricingClient } from "./clients/pricing-client";
import type { Database } from "./db/schema";
import { createCartReader } from "./reading";

const built = new WeakMap<ServiceContext<Database>, ReturnType<typeof build>>();

const build = (ctx: ServiceContext<Database>) => {
  const store = createCartStore(ctx);
  const pricing = pricingClient(ctx.config);
  const readCart = createCartReader(ctx, store, pricing, inventoryClient(ctx.config));
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
