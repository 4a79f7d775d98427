import {
  CategoriesQuery,
  CategoriesResponse,
  ProductPage,
  ProductQuery,
  ProductsQuery,
  ProductView,
  SkuParams,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom } from "../../shared/http/edge-identity";
import { AppError, notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { categoryCounts, productInStore, searchProducts } from "../db/read-model-repository";
import type { Database } from "../db/schema";
import { findStore } from "../db/store-repository";
import { decodeCursor, encodeCursor, prefixTsQuery } from "../domain/search";

const invalidCursor = () =>
  new AppError(400, "validation", "The request is not valid", [
    { path: "cursor", message: "not a cursor of this list" },
  ]);

/** What shoppers browse: a store's categories and products with its prices and availability. */
export const browseRoutes = (ctx: ServiceContext<Database>) => {
  const requireStore = async (storeId: string) => {
    if (!(await findStore(ctx.db, storeId))) throw notFound("store");
  };

  return (
    new Elysia({ prefix: "/v1/catalog" })
      .use(identityFrom(ctx.config))
      /** The categories a store sells, with product counts. */
      .get(
        "/categories",
        async ({ query }) => {
          await requireStore(query.storeId);
          return { items: await categoryCounts(ctx.db, query.storeId) };
        },
        { query: CategoriesQuery, response: CategoriesResponse },
      )
      /** A page of a store's products by name, filtered by category and full-text search; `nextCursor` continues it. */
      .get(
        "/products",
        async ({ query }) => {
          await requireStore(query.storeId);
          const afterSku = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
          if (afterSku === null) throw invalidCursor();
          const tsQuery = query.q === undefined ? undefined : prefixTsQuery(query.q);
          if (tsQuery === null) return { items: [], nextCursor: null };
          const page = await searchProducts(ctx.db, {
            storeId: query.storeId,
            category: query.category,
            tsQuery,
            afterSku,
            limit: query.limit,
          });
          const last = page.items.at(-1);
          return { items: page.items, nextCursor: page.more && last ? encodeCursor(last.sku) : null };
        },
        { query: ProductsQuery, response: ProductPage },
      )
      /** One product as sold in one store; 404 when the store does not sell it. */
      .get(
        "/products/:sku",
        async ({ params, query }) => {
          const product = await productInStore(ctx.db, query.storeId, params.sku);
          if (!product) throw notFound("product");
          return product;
        },
        { params: SkuParams, query: ProductQuery, response: ProductView },
      )
  );
};
