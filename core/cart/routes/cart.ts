import {
  CartQuery,
  CartView,
  MergeCartBody,
  PutCartItemBody,
  PutCartItemParams,
  REQUEST_ID_HEADER,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireUser } from "../../shared/http/edge-identity";
import { AppError } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { DownstreamRefusal } from "../clients/internal-http";
import type { PricingClient } from "../clients/pricing-client";
import type { CartStore } from "../db/cart-store";
import type { Database } from "../db/schema";
import { assertWithinLimit, mergeLines } from "../domain/cart";
import type { CartReader } from "../use-cases/read-cart";

const correlationOf = (request: Request) => request.headers.get(REQUEST_ID_HEADER) ?? Bun.randomUUIDv7();

/** The shopper's cart in one store: read re-priced, set a line, empty it, merge a guest cart into it. */
export const cartRoutes = (
  ctx: ServiceContext<Database>,
  store: CartStore,
  readCart: CartReader,
  pricing: PricingClient,
) => {
  const limit = ctx.config.CART_MAX_QUANTITY_PER_SKU;

  /** A SKU the store does not price cannot go into its cart; if pricing is down the write goes ahead. */
  const assertSold = async (userId: string, storeId: string, sku: string) => {
    try {
      await pricing.quote({ userId, storeId, lines: [{ sku, quantity: 1 }] });
    } catch (error) {
      if (error instanceof DownstreamRefusal)
        throw new AppError(422, "not_sold_here", `${sku} is not sold in this store`, [
          { path: "sku", message: "not sold in this store" },
        ]);
      ctx.logger.warn({ err: error }, "pricing unavailable; cart write accepted unchecked");
    }
  };

  return (
    new Elysia()
      .use(identityFrom(ctx.config))
      /** The cart re-priced now, with fees, total and out-of-stock marks. */
      .get(
        "/v1/cart",
        ({ identity, query }) => readCart({ userId: requireUser(identity).userId, storeId: query.storeId }),
        { query: CartQuery, response: CartView },
      )
      /** Sets a line's quantity (0 removes it); at most CART_MAX_QUANTITY_PER_SKU of one SKU. */
      .put(
        "/v1/cart/items/:sku",
        async ({ identity, params, body, request }) => {
          const { userId } = requireUser(identity);
          assertWithinLimit(body.quantity, limit);
          if (body.quantity > 0) await assertSold(userId, body.storeId, params.sku);
          const cart = { userId, storeId: body.storeId };
          await store.setQuantity(cart, params.sku, body.quantity, correlationOf(request));
          return readCart(cart);
        },
        { params: PutCartItemParams, body: PutCartItemBody, response: CartView },
      )
      /** Empties the cart. */
      .delete(
        "/v1/cart",
        async ({ identity, query, request, set }) => {
          await store.clear(
            { userId: requireUser(identity).userId, storeId: query.storeId },
            correlationOf(request),
          );
          set.status = 204;
        },
        { query: CartQuery },
      )
      /** Folds a guest cart into the shopper's (quantities add up to the limit); the guest cart is emptied. */
      .post(
        "/v1/cart/merge",
        async ({ identity, body, request }) => {
          const { userId } = requireUser(identity);
          if (body.guestId === userId)
            throw new AppError(422, "same_cart", "A cart cannot merge into itself", [
              { path: "guestId", message: "must differ from the signed-in shopper" },
            ]);
          const account = { userId, storeId: body.storeId };
          const guest = { userId: body.guestId, storeId: body.storeId };
          const correlationId = correlationOf(request);
          const [accountLines, guestLines] = await Promise.all([store.lines(account), store.lines(guest)]);
          const before = new Map(accountLines.map((line) => [line.sku, line.quantity]));
          for (const line of mergeLines(accountLines, guestLines, limit))
            if (before.get(line.sku) !== line.quantity)
              await store.setQuantity(account, line.sku, line.quantity, correlationId);
          if (guestLines.length > 0) await store.clear(guest, correlationId);
          return readCart(account);
        },
        { body: MergeCartBody, response: CartView },
      )
  );
};
