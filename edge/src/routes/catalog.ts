import { CategoriesQuery, ProductQuery, ProductsQuery, SkuParams } from "@qc/contracts";
import type { Context } from "hono";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { validate } from "../middleware/validate";

/** Catalog reads show product data (global) with one store's prices and stock. */
const catalogRead = readCache({
  name: "catalog",
  scopes: (c: Context<AppEnv>) => [
    { kind: "catalog" },
    { kind: "store", storeId: c.req.query("storeId") ?? "" },
  ],
  fill: (c) => forward(c, "catalog"),
  freshSeconds: 30,
  staleSeconds: 300,
});

/** /v1/catalog: categories, product pages and product detail, all served from the KV read cache. */
export const catalog = new Hono<AppEnv>()
  .get("/categories", validate("query", CategoriesQuery), catalogRead)
  .get("/products", validate("query", ProductsQuery), catalogRead)
  .get("/products/:sku", validate("param", SkuParams), validate("query", ProductQuery), catalogRead);
