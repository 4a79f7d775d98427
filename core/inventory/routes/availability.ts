import { Availability, AvailabilityRequest } from "@qc/contracts";
import { Elysia } from "elysia";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { availableBySku } from "../db/stock-repository";

/** Units available now per SKU of one store (0 for SKUs it does not stock), for cart and catalog. */
export const availabilityRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().post(
    "/internal/v1/availability",
    async ({ body }) => {
      const available = await availableBySku(ctx.db, body.storeId, body.skus);
      return {
        storeId: body.storeId,
        items: body.skus.map((sku) => ({ sku, available: available.get(sku) ?? 0 })),
      };
    },
    { body: AvailabilityRequest, response: Availability },
  );
