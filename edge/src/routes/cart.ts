import {
  CartQuery,
  GUEST_TOKEN_HEADER,
  GuestToken,
  MergeCartBody,
  PutCartItemBody,
  PutCartItemParams,
} from "@qc/contracts";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { readYourWrites } from "../cache/read-your-writes";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { problem } from "../errors";
import { authenticate } from "../middleware/auth";
import { decidesRateLimits, enforcePendingLimits } from "../middleware/rate-limit";
import { readCache } from "../middleware/read-cache";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn, userLimit } from "./limits";

function userId(c: Context<AppEnv>): string {
  return c.get("user")?.id ?? "";
}

// Hono hands headers to validators with lower-cased names.
const GuestHeaders = z.object({ [GUEST_TOKEN_HEADER.toLowerCase()]: GuestToken });

/** The guest's signed token, forwarded for cart to verify (only cart holds the key). */
const guestHeaders = (c: Context<AppEnv>) => ({
  [GUEST_TOKEN_HEADER]: c.req.header(GUEST_TOKEN_HEADER) ?? "",
});

/**
 * The shopper's own writes retire their cached cart at once, so the next read shows them. KV takes about one
 * write a second per key, so a shopper tapping "+" twice can have the second retirement refused: the write
 * stands (cart has it) and is answered as such; the cached cart is then at most its fresh time old.
 */
async function forwardAndRetireCart(c: Context<AppEnv>, body?: unknown): Promise<Response> {
  if (!c.get("user")) return forward(c, "cart", body, { headers: guestHeaders(c) });
  return readYourWrites(c, await forward(c, "cart", body), [{ kind: "cart", userId: userId(c) }]);
}

/**
 * A cart belongs to a signed-in shopper, or, before sign-in, to a guest who presents the token cart issued
 * (`X-Guest-Token`); anything else is 401. Guests' carts are never cached at the edge.
 */
const shopperOrGuest: MiddlewareHandler<AppEnv> = decidesRateLimits(async function shopperOrGuest(c, next) {
  if (c.req.header("authorization")) {
    return authenticate()(c, async () => {
      await userLimit(c, async () => {
        await requireRole("shopper")(c, next);
      });
    });
  }
  // A guest has no user window: the per-IP one is decided here.
  await enforcePendingLimits(c);
  if (!c.req.header(GUEST_TOKEN_HEADER))
    throw problem(401, "unauthorized", "Sign in, or send the guest token from POST /v1/cart/guest", {
      "www-authenticate": "Bearer",
    });
  return validate("header", GuestHeaders)(c, next);
});

const signedInCart = readCache({
  name: "cart",
  scopes: (c) => [
    { kind: "cart", userId: userId(c) },
    { kind: "store", storeId: c.req.query("storeId") ?? "" },
    { kind: "catalog" },
  ],
  fill: (c) => forward(c, "cart"),
  freshSeconds: 10,
  staleSeconds: 50,
  cacheableStatuses: [200],
});

/** /v1/cart: a shopper's cart (read from cache per user and store) or a guest's, written through to cart. */
export const cart = new Hono<AppEnv>()
  /** A signed guest identity for a cart before sign-in. */
  .post("/guest", (c) => forward(c, "cart"))
  .post("/merge", ...signedIn, requireRole("shopper"), validate("json", MergeCartBody), (c) =>
    forwardAndRetireCart(c, c.req.valid("json")),
  )
  .get("/", shopperOrGuest, validate("query", CartQuery), (c, next) =>
    c.get("user") ? signedInCart(c, next) : forward(c, "cart", undefined, { headers: guestHeaders(c) }),
  )
  .put(
    "/items/:sku",
    shopperOrGuest,
    validate("param", PutCartItemParams),
    validate("json", PutCartItemBody),
    (c) => forwardAndRetireCart(c, c.req.valid("json")),
  )
  .delete("/", shopperOrGuest, validate("query", CartQuery), (c) => forwardAndRetireCart(c));
