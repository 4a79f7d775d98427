import {
  StockTransferBody,
  StockTransferHeaders,
  StockTransferParams,
  StockTransferView,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database, StockTransferRow } from "../db/schema";
import type { Shards } from "../db/shards";
import { transferById } from "../db/transfer-repository";
import { transferStock } from "../use-cases/transfer-stock";

const view = (row: StockTransferRow): StockTransferView => ({
  transferId: row.transfer_id,
  fromStoreId: row.from_store_id,
  toStoreId: row.to_store_id,
  sku: row.sku,
  quantity: row.quantity,
  status: row.state,
  reason: row.reason,
});

/** Admins move stock between dark stores (by two-phase commit across their shards) and follow a transfer. */
export const stockTransferRoutes = (ctx: ServiceContext<Database>, shards: Shards) =>
  new Elysia()
    .use(identityFrom(ctx.config))
    .post(
      "/v1/admin/stock-transfers",
      async ({ identity, body, headers, set }) => {
        const admin = requireRole(identity, "admin");
        const { transfer } = await transferStock(
          { shards, prepareTimeoutMs: ctx.config.STOCK_TRANSFER_PREPARE_TIMEOUT_MS, logger: ctx.logger },
          { ...body, idempotencyKey: headers["idempotency-key"], requestedBy: admin.userId },
        );
        set.status = 201;
        return view(transfer);
      },
      {
        headers: StockTransferHeaders,
        body: StockTransferBody,
        response: { 201: StockTransferView },
      },
    )
    .get(
      "/v1/admin/stock-transfers/:transferId",
      async ({ identity, params }) => {
        requireRole(identity, "admin");
        const transfer = await transferById(shards.home.db, params.transferId);
        if (!transfer) throw notFound("stock transfer");
        return view(transfer);
      },
      { params: StockTransferParams, response: StockTransferView },
    );
