import { createMessage, SkuParams, UpsertProductBody } from "@qc/contracts";
import { Elysia } from "elysia";
import { transact } from "../../shared/db/transaction";
import { type Identity, identityFrom, requireRole } from "../../shared/http/edge-identity";
import { AppError, notFound } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import type { ServiceContext } from "../../shared/runtime/context";
import type { PricingClient } from "../clients/pricing";
import {
  deleteProduct,
  ensureCategory,
  type ProductFields,
  productFields,
  upsertProduct,
} from "../db/product-repository";
import { applyPrice } from "../db/read-model-repository";
import type { Database } from "../db/schema";
import { slugOf } from "../domain/category";
import { correlationOf } from "./correlation";

const ProductFieldsView = UpsertProductBody.omit({ prices: true });

/** Admin product management; every change is published through the outbox. */
export const adminProductRoutes = (ctx: ServiceContext<Database>, pricing: PricingClient) => {
  const save = async (body: UpsertProductBody, admin: Identity, request: Request): Promise<ProductFields> => {
    const categorySlug = slugOf(body.category);
    if (!categorySlug)
      throw new AppError(422, "invalid_category", "The category needs letters or digits", [
        { path: "category", message: "needs at least one letter or digit" },
      ]);
    const correlationId = correlationOf(request);
    const saved = await transact(ctx.db, async (trx) => {
      await ensureCategory(trx, categorySlug, body.category);
      const fields = productFields(await upsertProduct(trx, { ...body, categorySlug }));
      const { sku, name, description, category, imageUrl, active } = fields;
      await enqueue(
        trx,
        createMessage(
          "ProductUpserted",
          { sku, name, description, category, imageUrl, active },
          { source: "catalog", correlationId },
        ),
      );
      return fields;
    });
    if (body.prices.length > 0) {
      const set = await pricing.setPrices(body.sku, body.prices, admin, correlationId);
      // Read-your-writes for the operator: the product sells in those stores as soon as this answers, not
      // once PriceChanged comes back. The event, applied at the same instant, then changes nothing.
      for (const { changedAt, ...price } of set) await applyPrice(ctx.db, price, new Date(changedAt));
    }
    return saved;
  };

  return (
    new Elysia()
      .use(identityFrom(ctx.config))
      /** Creates or changes a product; prices given with it are set in pricing. */
      .post(
        "/v1/admin/products",
        async ({ identity, body, request }) => save(body, requireRole(identity, "admin"), request),
        { body: UpsertProductBody, response: ProductFieldsView },
      )
      /** Creates or replaces the product with this SKU. */
      .put(
        "/v1/admin/products/:sku",
        async ({ identity, params, body, request }) =>
          save({ ...body, sku: params.sku }, requireRole(identity, "admin"), request),
        { params: SkuParams, body: UpsertProductBody.omit({ sku: true }), response: ProductFieldsView },
      )
      /** Removes a product from the catalog. */
      .delete(
        "/v1/admin/products/:sku",
        async ({ identity, params, request, set }) => {
          requireRole(identity, "admin");
          await transact(ctx.db, async (trx) => {
            if (!(await deleteProduct(trx, params.sku))) throw notFound("product");
            await enqueue(
              trx,
              createMessage(
                "ProductRemoved",
                { sku: params.sku },
                { source: "catalog", correlationId: correlationOf(request) },
              ),
            );
          });
          set.status = 204;
        },
        { params: SkuParams },
      )
  );
};
