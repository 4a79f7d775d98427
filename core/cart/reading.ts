import type { CartView } from "@qc/contracts";
import { AppError } from "../shared/http/errors";
import type { ServiceContext } from "../shared/runtime/context";
import type { CartStore } from "./cart-store";
import { DownstreamRefusal } from "./clients/internal-http";
import type { InventoryClient } from "./clients/inventory-client";
import type { PricingClient } from "./clients/pricing-client";
import type { CartRef } from "./db/cart-repository";
import type { Database } from "./db/schema";
import { cartView } from "./domain/cart-view";

/**
 * Reads a cart re-priced now: pricing and inventory are asked in parallel. Without prices there is no
 * cart to show (503), but without availability the cart is shown unmarked, flagged `availability: unknown`.
 */
export function createCartReader(
  ctx: ServiceContext<Database>,
  store: CartStore,
  pricing: PricingClient,
  inventory: InventoryClient,
) {
  return async function readCart(cart: CartRef): Promise<CartView> {
    const lines = await store.lines(cart);
    const view = { storeId: cart.storeId, lines, emptyCurrency: ctx.config.CART_DEFAULT_CURRENCY };
    if (lines.length === 0) return cartView({ ...view, quote: null, availability: null });
    const [quote, availability] = await Promise.allSettled([
      pricing.quote({ ...cart, lines }),
      inventory.availability({ storeId: cart.storeId, skus: lines.map((line) => line.sku) }),
    ]);
    if (quote.status === "rejected") {
      if (quote.reason instanceof DownstreamRefusal) throw quote.reason;
      ctx.logger.warn({ err: quote.reason }, "pricing unavailable for a cart read");
      throw new AppError(
        503,
        "pricing_unavailable",
        "Prices cannot be computed right now; try again shortly",
      );
    }
    if (availability.status === "rejected")
      ctx.logger.warn({ err: availability.reason }, "inventory unavailable; cart shown without stock marks");
    return cartView({
      ...view,
      quote: quote.value,
      availability: availability.status === "fulfilled" ? availability.value : null,
    });
  };
}

export type CartReader = ReturnType<typeof createCartReader>;
