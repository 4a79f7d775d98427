import { CartQuery, MergeCartBody, PutCartItemBody, PutCartItemParams } from "@qc/contracts";
import type { Context } from "hono";
import { Hono } from "hono";
import { KvPurger } from "../cache/purger";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn } from "./limits";

function userId(c: Context<AppEnv>): string {
  return c.get("user")?.id ?? "";
}

/** The shopper's own writes retire their cached cart at once, so the next read shows them. */
async function forwardAndRetireCart(c: Context<AppEnv>, body?: unknown): Promise<Response> {
  const response = await forward(c, "cart", body);
  if (response.ok) await new KvPurger(c.env.CACHE).purge([{ kind: "cart", userId: userId(c) }]);
  return response;
}

/** /v1/cart: the shopper's cart, read from cache (per user and store) and written through to cart. */
export const cart = new Hono<AppEnv>()
  .use(...signedIn, requireRole("shopper"))
  .get(
    "/",
    validate("query", CartQuery),
    readCache({
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
    }),
  )
  .put("/items/:sku", validate("param", PutCartItemParams), validate("json", PutCartItemBody), (c) =>
    forwardAndRetireCart(c, c.req.valid("json")),
  )
  .delete("/", validate("query", CartQuery), (c) => forwardAndRetireCart(c))
  .post("/merge", validate("json", MergeCartBody), (c) => forwardAndRetireCart(c, c.req.valid("json")));
