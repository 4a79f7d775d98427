import {
  IdempotencyKey,
  LIVE_WATCH_HEADER,
  OrderAccepted,
  OrderPage,
  OrderParams,
  OrdersQuery,
  OrderView,
  PlaceOrderBody,
  preferredWaitSeconds,
} from "@qc/contracts";
import { BulkheadRejectedError, bulkhead } from "cockatiel";
import { Elysia } from "elysia";
import { z } from "zod";
import { type Identity, identityFrom, requireUser } from "../../shared/http/edge-identity";
import { AppError, notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { forOrder } from "../../shared/telemetry/scope";
import type { CheckoutClients } from "../clients/checkout-clients";
import { findView, pageViews } from "../db/order-views";
import type { Database } from "../db/schema";
import { decodeCursor, encodeCursor } from "../domain/cursor";
import { cancelOrder } from "../use-cases/cancel-order";
import { watchOrder } from "../use-cases/live-tracking";
import { placeOrder } from "../use-cases/place-order";
import { sagaSettings } from "../use-cases/settings";
import { settledView } from "../use-cases/settled-view";
import { nextStatusChange } from "../use-cases/status-changes";

const isAdmin = (identity: Identity) => identity.roles.includes("admin");

/** The shopper's orders: place (idempotent), read, list and cancel. */
export const orderRoutes = (ctx: ServiceContext<Database>, clients: CheckoutClients) => {
  const settings = sagaSettings(ctx.config);
  // A burst of checkouts waits here in memory, not in the pg pool, whose short acquire timeout would fail them.
  const admission = bulkhead(2 * ctx.config.DB_POOL_MAX, 2_000);
  const admitted = <T>(work: () => Promise<T>) =>
    admission.execute(work).catch((error) => {
      if (error instanceof BulkheadRejectedError) {
        throw new AppError(503, "busy", "Too many checkouts at once; retry with the same Idempotency-Key");
      }
      throw error;
    });
  return (
    new Elysia({ name: "order-routes" })
      .use(identityFrom(ctx.config))
      /** Places an order from the cart; the same Idempotency-Key and body answer the first response again. */
      .post(
        "/v1/orders",
        async ({ identity, body, headers, set }) => {
          const user = requireUser(identity);
          // Prefer: wait=N answers with the order once it left PENDING (201), or as accepted after N s (202).
          // The wait listens on the id a new order will get before placing it, so the order's first change
          // cannot slip past and its PENDING state needs no read back.
          const wait = preferredWaitSeconds(headers.prefer) ?? 0;
          const newOrderId = Bun.randomUUIDv7();
          const change = wait > 0 ? nextStatusChange(newOrderId, wait * 1000) : undefined;
          try {
            const placed = await admitted(() =>
              placeOrder(
                {
                  db: ctx.db,
                  clients,
                  settings,
                  idempotencyTtlHours: ctx.config.ORDER_IDEMPOTENCY_TTL_HOURS,
                  logger: ctx.logger,
                  quoteSecret: ctx.config.PRICING_QUOTE_SECRET,
                },
                user.userId,
                headers["idempotency-key"],
                body,
                newOrderId,
              ),
            );
            if (wait > 0 && placed.statusCode === 202) {
              set.headers["preference-applied"] = `wait=${wait}`;
              const { orderId } = placed.body;
              const settled = await settledView(
                ctx.db,
                orderId,
                wait * 1000,
                orderId === newOrderId ? change : undefined,
              );
              if (settled && settled.status !== "PENDING") {
                set.status = 201;
                return settled;
              }
            }
            set.status = placed.statusCode;
            return placed.body;
          } finally {
            change?.cancel();
          }
        },
        {
          headers: z.object({ "idempotency-key": IdempotencyKey, prefer: z.string().max(200).optional() }),
          body: PlaceOrderBody,
          response: { 201: OrderView, 202: OrderAccepted },
        },
      )
      /** One order, for its owner or an admin. */
      .get(
        "/v1/orders/:id",
        async ({ identity, params, headers }) => {
          const user = requireUser(identity);
          const view = await findView(ctx.db, params.id);
          // Someone else's order is indistinguishable from none: its id tells a stranger nothing (and a
          // stranger's probe is not tagged as that order's work).
          if (!view || (view.userId !== user.userId && !isAdmin(user))) throw notFound("order");
          return forOrder(params.id, async () => {
            if (!headers[LIVE_WATCH_HEADER.toLowerCase()]) return view;
            // Watched first, read again: a change committed in between is either in this answer or pushed.
            await watchOrder(ctx.redis, ctx.config, params.id);
            return (await findView(ctx.db, params.id)) ?? view;
          });
        },
        { params: OrderParams, response: OrderView },
      )
      /** The caller's orders (an admin's: everyone's), newest first, keyset-paginated, optionally by status. */
      .get(
        "/v1/orders",
        async ({ identity, query }) => {
          const user = requireUser(identity);
          const after = query.cursor ? decodeCursor(query.cursor) : undefined;
          if (after === null) {
            throw new AppError(400, "validation", "The request is not valid", [
              { path: "cursor", message: "not a cursor this API issued" },
            ]);
          }
          const rows = await pageViews(ctx.db, {
            ...(isAdmin(user) ? {} : { userId: user.userId }),
            ...(query.status ? { status: query.status } : {}),
            limit: query.limit,
            ...(after ? { after } : {}),
          });
          const items = rows.slice(0, query.limit);
          const last = items.at(-1);
          const nextCursor =
            rows.length > query.limit && last
              ? encodeCursor({ createdAt: new Date(last.createdAt), orderId: last.orderId })
              : null;
          return { items, nextCursor };
        },
        { query: OrdersQuery, response: OrderPage },
      )
      /** The owner's cancel, carried out by the saga's compensation. */
      .post(
        "/v1/orders/:id/cancel",
        async ({ identity, params, set }) => {
          const user = requireUser(identity);
          const accepted = await forOrder(params.id, () => cancelOrder(ctx.db, settings, user, params.id));
          set.status = 202;
          return accepted;
        },
        { params: OrderParams, response: { 202: OrderAccepted } },
      )
  );
};
