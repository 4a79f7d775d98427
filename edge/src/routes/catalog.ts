import { CategoriesQuery, ProductQuery, ProductsQuery, SkuParams } from "@qc/contracts";
import type { Context } from "hono";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { validate } from "../middleware/validate";

const storeOf = (c: Context<AppEnv>) => c.req.query("storeId") ?? "";

/**
 * How long a listing is served without asking core. Stock changes do not purge listings (under checkout
 * load that would purge a whole store several times a second), so a listing's availability may be this
 * old; past it the entry is still served (`STALE`) while one background refill brings it up to date.
 */
export const LISTING_FRESH_SECONDS = 2;

/**
 * One product in one store: product data (global), the store's prices, and that product's stock, which
 * core purges on its own (`product=<storeId>:<sku>`) when stock changes.
 */
const productRead = readCache({
  name: "catalog",
  scopes: (c) => [
    { kind: "catalog" },
    { kind: "store", storeId: storeOf(c) },
    { kind: "product", storeId: storeOf(c), sku: c.req.param("sku") ?? "" },
  ],
  fill: (c) => forward(c, "catalog"),
  freshSeconds: 30,
  staleSeconds: 300,
});

/** Categories and product listings of one store: purged on product and price changes, not on stock. */
const listingRead = readCache({
  name: "catalog",
  scopes: (c) => [{ kind: "catalog" }, { kind: "store", storeId: storeOf(c) }],
  fill: (c) => forward(c, "catalog"),
  freshSeconds: LISTING_FRESH_SECONDS,
  staleSeconds: 300,
});

/** /v1/catalog: categories, product pages and product detail, all served from the KV read cache. */
export const catalog = new Hono<AppEnv>()
  .get("/categories", validate("query", CategoriesQuery), listingRead)
  .get("/products", validate("query", ProductsQuery), listingRead)
  .get("/products/:sku", validate("param", SkuParams), validate("query", ProductQuery), productRead);
