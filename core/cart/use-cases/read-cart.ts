import type { CartView, Line, Quote } from "@qc/contracts";
import { DownstreamRefusal } from "../../shared/grpc/errors";
import { AppError } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import type { InventoryClient } from "../clients/inventory-client";
import type { PricingClient } from "../clients/pricing-client";
import type { CartRef } from "../db/cart-repository";
import type { CartStore } from "../db/cart-store";
import type { Database } from "../db/schema";
import { cartView } from "../domain/cart-view";

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
  /**
   * Quotes the lines pricing can price. A SKU whose price was withdrawn after it went into the cart must not
   * make the whole cart unreadable: such lines are quoted without and shown as not available.
   */
  const quoteSellable = async (
    cart: CartRef,
    lines: Line[],
  ): Promise<{ quote: Quote | null; unsold: Set<string> }> => {
    try {
      return { quote: await pricing.quote({ ...cart, lines }), unsold: new Set() };
    } catch (error) {
      if (!(error instanceof DownstreamRefusal) || error.code !== "unpriceable_lines") throw error;
      const unsold = new Set(
        (error.errors ?? []).flatMap((problem) => {
          const index = /^lines\.(\d+)\.sku$/.exec(problem.path)?.[1];
          return index === undefined ? [] : [lines[Number(index)]?.sku ?? ""];
        }),
      );
      const sellable = lines.filter((line) => !unsold.has(line.sku));
      if (unsold.size === 0 || sellable.length === lines.length) throw error;
      return {
        quote: sellable.length > 0 ? await pricing.quote({ ...cart, lines: sellable }) : null,
        unsold,
      };
    }
  };

  /**
   * The view of `lines` in `cart`: the cart's own, or as a write is about to leave them, with the quote of
   * exactly those lines (none when a line cannot be priced). `mustSell`: a SKU this view must be able to
   * price, else 422 `not_sold_here` (a line being added, checked before it is written by the same quote that
   * prices the answer).
   */
  const viewOf = async (
    cart: CartRef,
    lines: Line[],
    mustSell?: string,
  ): Promise<{ view: CartView; quote: Quote | undefined }> => {
    const view = { storeId: cart.storeId, lines, emptyCurrency: ctx.config.CART_DEFAULT_CURRENCY };
    if (lines.length === 0)
      return {
        view: cartView({ ...view, quote: null, availability: null, unsold: new Set() }),
        quote: undefined,
      };
    const [quoted, availability] = await Promise.allSettled([
      quoteSellable(cart, lines),
      inventory.availability({ storeId: cart.storeId, skus: lines.map((line) => line.sku) }),
    ]);
    if (quoted.status === "rejected") {
      if (quoted.reason instanceof DownstreamRefusal) throw quoted.reason;
      ctx.logger.warn({ err: quoted.reason }, "pricing unavailable for a cart read");
      throw new AppError(
        503,
        "pricing_unavailable",
        "Prices cannot be computed right now; try again shortly",
      );
    }
    if (mustSell !== undefined && quoted.value.unsold.has(mustSell))
      throw new AppError(422, "not_sold_here", `${mustSell} is not sold in this store`, [
        { path: "sku", message: "not sold in this store" },
      ]);
    if (availability.status === "rejected")
      ctx.logger.warn({ err: availability.reason }, "inventory unavailable; cart shown without stock marks");
    const { quote, unsold } = quoted.value;
    return {
      view: cartView({
        ...view,
        quote,
        unsold,
        availability: availability.status === "fulfilled" ? availability.value : null,
      }),
      quote: quote && unsold.size === 0 ? quote : undefined,
    };
  };

  return {
    viewOf,
    /** The cart as it is, re-priced now; its quote is kept for checkout (what the shopper was last shown). */
    read: async (cart: CartRef): Promise<CartView> => {
      const { lines, version } = await store.state(cart);
      const { view, quote } = await viewOf(cart, lines);
      if (lines.length > 0) await store.keepQuote(cart, version, quote);
      return view;
    },
  };
}

export type CartReader = ReturnType<typeof createCartReader>;
