import { AddRiderBody, RiderView, StoreParams } from "@qc/contracts";
import { Elysia } from "elysia";
import { z } from "zod";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { AppError, conflict } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { catalogClient } from "../clients/catalog";
import type { Database, RiderRow } from "../db/schema";
import { insertRider, ridersOfStore } from "../db/store-repository";
import { learnStore } from "../use-cases/learn-store";

const riderView = (rider: RiderRow) => ({
  riderId: rider.rider_id,
  storeId: rider.store_id,
  name: rider.name,
  userId: rider.user_id,
  active: rider.active,
});

/**
 * Admins list a store's riders, and add riders; a rider starts free at the store unless placed elsewhere. A
 * store catalog has just created is asked for at once, so riders can be added right after it (read-your-writes).
 */
export const riderRoutes = (ctx: ServiceContext<Database>) => {
  const catalog = catalogClient(ctx);
  return new Elysia()
    .use(identityFrom(ctx.config))
    .get(
      "/v1/admin/stores/:storeId/riders",
      async ({ identity, params }) => {
        requireRole(identity, "admin");
        return (await ridersOfStore(ctx.db, params.storeId)).map(riderView);
      },
      { params: StoreParams, response: { 200: z.array(RiderView) } },
    )
    .post(
      "/v1/admin/stores/:storeId/riders",
      async ({ identity, params, body, set }) => {
        requireRole(identity, "admin");
        const store = await learnStore(ctx.db, catalog, params.storeId).catch(() => {
          throw new AppError(
            503,
            "store_not_known_yet",
            "The store cannot be confirmed with the catalog right now; retry shortly",
            undefined,
            { "retry-after": "2" },
          );
        });
        if (!store) {
          const message = "no such store in the catalog";
          throw new AppError(422, "unknown_store", message, [{ path: "storeId", message }]);
        }
        const location = body.location ?? store;
        try {
          const rider = await insertRider(ctx.db, {
            rider_id: Bun.randomUUIDv7(),
            store_id: store.store_id,
            name: body.name,
            user_id: body.userId ?? null,
            lat: location.lat,
            lng: location.lng,
          });
          set.status = 201;
          return riderView(rider);
        } catch (error) {
          if ((error as { code?: string }).code === "23505")
            throw conflict("rider_exists", "that user is already a rider");
          throw error;
        }
      },
      { params: StoreParams, body: AddRiderBody, response: { 201: RiderView } },
    );
};
