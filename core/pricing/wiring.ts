import type { ServiceContext } from "../shared/runtime/context";
import { openOrders } from "./db/open-orders";
import type { Database } from "./db/schema";
import { createQuoting } from "./use-cases/build-quote";
import { createPriceBook } from "./use-cases/price-book";

const built = new WeakMap<ServiceContext<Database>, ReturnType<typeof build>>();

const build = (ctx: ServiceContext<Database>) => {
  const prices = createPriceBook(ctx);
  const orders = openOrders(ctx.redis, ctx.config);
  return { prices, orders, quote: createQuoting(ctx, prices, orders) };
};

/** The one price book, open-order counter and quoting of a running service, shared by routes and consumers. */
export function pricingParts(ctx: ServiceContext<Database>) {
  let parts = built.get(ctx);
  if (!parts) {
    parts = build(ctx);
    built.set(ctx, parts);
  }
  return parts;
}
