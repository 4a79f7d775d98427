import { SetStoreFeesBody, StoreFeesView, StoreParams } from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { upsertDeliveryFee } from "../db/store-fee-repository";

/** Admins set a store's own delivery fee; quotes read it on every call, so it applies at once. */
export const adminFeeRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().use(identityFrom(ctx.config)).put(
    "/v1/admin/stores/:storeId/fees",
    async ({ identity, params, body }) => {
      requireRole(identity, "admin");
      await upsertDeliveryFee(ctx.db, params.storeId, body.deliveryFeeMinor);
      return { storeId: params.storeId, deliveryFeeMinor: body.deliveryFeeMinor };
    },
    { params: StoreParams, body: SetStoreFeesBody, response: StoreFeesView },
  );
