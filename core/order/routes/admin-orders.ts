import { AdminOrderQuery, OrderAsOfView, OrderAuditTrail, OrderParams, StoreLoadList } from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { AppError, notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { loadOrder } from "../db/aggregate-repository";
import { loadEvents } from "../db/event-store";
import { openOrdersByStore } from "../db/order-views";
import type { Database } from "../db/schema";
import { orderAsOf } from "../db/snapshots";
import { toView } from "../domain/order";

/**
 * Operators' reads: an order as it was at any instant and its audit trail (over the event store), and the
 * open orders per store (over the order views) that the edge's dashboard shows.
 */
export const adminOrderRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "admin-order-routes" })
    .use(identityFrom(ctx.config))
    /** The order now, or folded from its events as it was at `asOf`. */
    .get(
      "/v1/admin/orders/:id",
      async ({ identity, params, query }) => {
        requireRole(identity, "admin");
        const asOf = query.asOf ? new Date(query.asOf) : undefined;
        const order = asOf ? await orderAsOf(ctx.db, params.id, asOf) : await loadOrder(ctx.db, params.id);
        if (order)
          return { ...toView(order), version: order.version, asOf: (asOf ?? new Date()).toISOString() };
        if (asOf && (await loadOrder(ctx.db, params.id))) {
          throw new AppError(422, "before_order_existed", "The order was placed after this instant", [
            { path: "asOf", message: "before the order was placed" },
          ]);
        }
        throw notFound("order");
      },
      { params: OrderParams, query: AdminOrderQuery, response: OrderAsOfView },
    )
    /** Every event of the order in version order, with when, why (correlation, causation) and who. */
    .get(
      "/v1/admin/orders/:id/events",
      async ({ identity, params }) => {
        requireRole(identity, "admin");
        const events = await loadEvents(ctx.db, params.id);
        if (events.length === 0) throw notFound("order");
        return {
          orderId: params.id,
          events: events.map((event) => ({
            version: event.version,
            type: event.type,
            occurredAt: event.occurredAt.toISOString(),
            data: event.data as Record<string, unknown>,
            correlationId: event.correlationId,
            causationId: event.causationId,
            actor: event.actor,
          })),
        };
      },
      { params: OrderParams, response: OrderAuditTrail },
    )
    /** Per store, the orders not yet DELIVERED, REJECTED or CANCELLED, and their riders' ETA. */
    .get(
      "/v1/admin/ops/stores",
      async ({ identity }) => {
        requireRole(identity, "admin");
        return { stores: await openOrdersByStore(ctx.db) };
      },
      { response: StoreLoadList },
    );
