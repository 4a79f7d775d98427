import {
  createMessage,
  ServiceabilityQuery,
  ServiceableStore,
  StoreParams,
  StoreView,
  UpsertStoreBody,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { transact } from "../../shared/db/transaction";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { AppError, notFound } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { findStore, nearestServingStore, storeView, upsertStore } from "../db/store-repository";
import { etaMinutes } from "../domain/eta";
import { correlationOf } from "./correlation";

/** Dark stores: serviceability for shoppers, management for admins, lookups for other services. */
export const storeRoutes = (ctx: ServiceContext<Database>) => {
  const save = (store: StoreView, request: Request) =>
    transact(ctx.db, async (trx) => {
      const row = await upsertStore(trx, store);
      const saved = storeView(row);
      await enqueue(
        trx,
        createMessage("StoreUpserted", saved, { source: "catalog", correlationId: correlationOf(request) }),
      );
      return saved;
    });

  return (
    new Elysia()
      .use(identityFrom(ctx.config))
      /** The nearest open store that delivers to the point, with an ETA; 404 when none does. */
      .get(
        "/v1/stores/serviceable",
        async ({ query }) => {
          const store = await nearestServingStore(ctx.db, query);
          if (!store)
            throw new AppError(
              404,
              "no_store_serves_location",
              "No open store delivers to this location yet",
            );
          return { storeId: store.id, name: store.name, etaMinutes: etaMinutes(store.km) };
        },
        { query: ServiceabilityQuery, response: ServiceableStore },
      )
      /** Creates a store (201), or changes it when `storeId` is given (200). */
      .post(
        "/v1/admin/stores",
        async ({ identity, body, request, set }) => {
          requireRole(identity, "admin");
          if (!body.storeId) set.status = 201;
          return save({ ...body, storeId: body.storeId ?? Bun.randomUUIDv7() }, request);
        },
        { body: UpsertStoreBody, response: { 200: StoreView, 201: StoreView } },
      )
      /** Creates or replaces the store at this id. */
      .put(
        "/v1/admin/stores/:storeId",
        async ({ identity, params, body, request }) => {
          requireRole(identity, "admin");
          return save({ ...body, storeId: params.storeId }, request);
        },
        { params: StoreParams, body: UpsertStoreBody.omit({ storeId: true }), response: StoreView },
      )
      /** A store's location and radius, for other core services. */
      .get(
        "/internal/v1/stores/:storeId",
        async ({ params }) => {
          const store = await findStore(ctx.db, params.storeId);
          if (!store) throw notFound("store");
          return storeView(store);
        },
        { params: StoreParams, response: StoreView },
      )
  );
};
