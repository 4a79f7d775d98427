import {
  createMessage,
  REQUEST_ID_HEADER,
  SetPriceBody,
  StorePriceView,
  StoreSkuParams,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { transact } from "../../shared/db/transaction";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { enqueue } from "../../shared/outbox/enqueue";
import type { ServiceContext } from "../../shared/runtime/context";
import { upsertPrice } from "../db/price-repository";
import type { Database } from "../db/schema";
import type { PriceBook } from "../use-cases/price-book";

/** Admins set a store's price of a SKU; the change is published and written through the cache. */
export const adminPriceRoutes = (ctx: ServiceContext<Database>, prices: PriceBook) =>
  new Elysia().use(identityFrom(ctx.config)).put(
    "/v1/admin/stores/:storeId/prices/:sku",
    async ({ identity, params, body, request }) => {
      requireRole(identity, "admin");
      const { storeId, sku } = params;
      const price = body.price;
      // Stamped after the row is written, under its lock: the instant orders the changes as they commit,
      // which readers applying "newest wins" rely on.
      const changed = await transact(ctx.db, async (trx) => {
        await upsertPrice(trx, {
          store_id: storeId,
          sku,
          amount_minor: price.amountMinor,
          currency: price.currency,
        });
        const message = createMessage(
          "PriceChanged",
          { storeId, sku, price },
          {
            source: "pricing",
            correlationId: request.headers.get(REQUEST_ID_HEADER) ?? Bun.randomUUIDv7(),
          },
        );
        await enqueue(trx, message);
        return message;
      });
      await prices.written(storeId, sku, price);
      return { storeId, sku, price, changedAt: changed.occurredAt };
    },
    { params: StoreSkuParams, body: SetPriceBody, response: StorePriceView },
  );
