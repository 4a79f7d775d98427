import {
  CartQuery,
  CartView,
  GUEST_TOKEN_HEADER,
  GuestTokenResponse,
  MergeCartBody,
  PutCartItemBody,
  PutCartItemParams,
  REQUEST_ID_HEADER,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { type Identity, identityFrom } from "../../shared/http/edge-identity";
import { AppError, unauthorized } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import type { CartStore } from "../db/cart-store";
import type { Database } from "../db/schema";
import { applyWrite, assertWithinLimit, mergeLines } from "../domain/cart";
import { issueGuestToken, verifyGuestToken } from "../domain/guest-token";
import type { CartReader } from "../use-cases/read-cart";

const correlationOf = (request: Request) => request.headers.get(REQUEST_ID_HEADER) ?? Bun.randomUUIDv7();

/**
 * The cart in one store of a signed-in shopper, or of a guest holding a token cart signed (`X-Guest-Token`):
 * read re-priced, set a line, empty it; a shopper merges a guest cart into theirs by presenting its token.
 */
export const cartRoutes = (ctx: ServiceContext<Database>, store: CartStore, carts: CartReader) => {
  const limit = ctx.config.CART_MAX_QUANTITY_PER_SKU;

  const guestIdOf = async (token: string | null | undefined) =>
    token ? verifyGuestToken(ctx.config.GUEST_TOKEN_SECRET, token) : null;

  /** Whose cart: the signed-in user's, else the guest's whose token cart signed; 401 otherwise. */
  const ownerOf = async (identity: Identity | null, request: Request): Promise<{ userId: string }> => {
    if (identity) return { userId: identity.userId };
    const guestId = await guestIdOf(request.headers.get(GUEST_TOKEN_HEADER));
    if (!guestId) throw unauthorized("sign in or send a guest token");
    return { userId: guestId };
  };

  return (
    new Elysia()
      .use(identityFrom(ctx.config))
      /** A new guest identity for a cart before sign-in; the token is the only way to reach that cart. */
      .post(
        "/v1/cart/guest",
        async ({ set }) => {
          const ttl = ctx.config.GUEST_TOKEN_TTL_SECONDS;
          const { guestToken } = await issueGuestToken(ctx.config.GUEST_TOKEN_SECRET, ttl);
          set.status = 201;
          set.headers["cache-control"] = "no-store";
          return { guestToken, expiresIn: ttl };
        },
        { response: { 201: GuestTokenResponse } },
      )
      /** The cart re-priced now, with fees, total and out-of-stock marks. */
      .get(
        "/v1/cart",
        async ({ identity, query, request }) =>
          carts.read({ userId: (await ownerOf(identity, request)).userId, storeId: query.storeId }),
        { query: CartQuery, response: CartView },
      )
      /** Sets a line's quantity (0 removes it); at most CART_MAX_QUANTITY_PER_SKU of one SKU. */
      .put(
        "/v1/cart/items/:sku",
        async ({ identity, params, body, request }) => {
          const { userId } = await ownerOf(identity, request);
          assertWithinLimit(body.quantity, limit);
          const cart = { userId, storeId: body.storeId };
          // The cart as this write leaves it is priced first: the one quote that prices the answer also
          // refuses a SKU the store does not sell, and with pricing down (503) nothing is written. The quote
          // is kept with the lines, so checkout can charge it without asking pricing again.
          const lines = applyWrite(await store.lines(cart), { sku: params.sku, quantity: body.quantity });
          const { view, quote } = await carts.viewOf(cart, lines, body.quantity > 0 ? params.sku : undefined);
          await store.setQuantity(cart, params.sku, body.quantity, correlationOf(request), quote);
          return view;
        },
        { params: PutCartItemParams, body: PutCartItemBody, response: CartView },
      )
      /** Empties the cart. */
      .delete(
        "/v1/cart",
        async ({ identity, query, request, set }) => {
          await store.clear(
            { userId: (await ownerOf(identity, request)).userId, storeId: query.storeId },
            correlationOf(request),
          );
          set.status = 204;
        },
        { query: CartQuery },
      )
      /**
       * Folds the cart of the guest whose token is presented into the shopper's (quantities add up to the
       * limit); the guest cart is emptied. Only a token cart signed names a cart: never an id from the body.
       */
      .post(
        "/v1/cart/merge",
        async ({ identity, body, request }) => {
          if (!identity) throw unauthorized();
          const { userId } = identity;
          const guestId = await guestIdOf(body.guestToken);
          if (!guestId)
            throw new AppError(422, "invalid_guest_token", "The guest token is not valid", [
              { path: "guestToken", message: "not a guest token this API issued, or expired" },
            ]);
          const account = { userId, storeId: body.storeId };
          const guest = { userId: guestId, storeId: body.storeId };
          const correlationId = correlationOf(request);
          const [accountLines, guestLines] = await Promise.all([store.lines(account), store.lines(guest)]);
          const before = new Map(accountLines.map((line) => [line.sku, line.quantity]));
          for (const line of mergeLines(accountLines, guestLines, limit))
            if (before.get(line.sku) !== line.quantity)
              await store.setQuantity(account, line.sku, line.quantity, correlationId);
          if (guestLines.length > 0) await store.clear(guest, correlationId);
          return carts.read(account);
        },
        { body: MergeCartBody, response: CartView },
      )
  );
};
