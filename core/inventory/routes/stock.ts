import { SetStockBody, StockView, StoreParams, StoreSkuParams } from "@qc/contracts";
import { Elysia } from "elysia";
import { z } from "zod";
import { identityFrom, requireStoreRole } from "../../shared/http/edge-identity";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database, StockRow } from "../db/schema";
import type { Shards } from "../db/shards";
import { listStock } from "../db/stock-repository";
import { adjustStock } from "../use-cases/adjust-stock";

const view = (row: StockRow): StockView => ({
  storeId: row.store_id,
  sku: row.sku,
  onHand: row.on_hand,
  reserved: row.reserved,
  available: row.on_hand - row.reserved,
});

/**
 * Store staff receive and count stock of their own stores (the token names them); admins of any store. The
 * rows live in the store's shard database.
 */
export const stockRoutes = (ctx: ServiceContext<Database>, shards: Shards) =>
  new Elysia()
    .use(identityFrom(ctx.config))
    .put(
      "/v1/admin/stores/:storeId/stock/:sku",
      async ({ identity, params, body }) => {
        requireStoreRole(identity, params.storeId, "store_staff");
        const { db } = await shards.ofStore(params.storeId);
        return view(await adjustStock(db, { ...params, onHand: body.onHand }));
      },
      { params: StoreSkuParams, body: SetStockBody, response: StockView },
    )
    .get(
      "/v1/admin/stores/:storeId/stock",
      async ({ identity, params }) => {
        requireStoreRole(identity, params.storeId, "store_staff");
        const { db } = await shards.ofStore(params.storeId);
        return { items: (await listStock(db, params.storeId)).map(view) };
      },
      { params: StoreParams, response: z.object({ items: z.array(StockView) }) },
    );
