import { DeliveryParams, DeliveryStatusBody, DeliveryView } from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import type { ServiceContext } from "../../shared/runtime/context";
import { forOrder } from "../../shared/telemetry/scope";
import type { Database } from "../db/schema";
import { reportStatus } from "../use-cases/report-status";

/** The assigned rider reports PICKED_UP, OUT_FOR_DELIVERY and DELIVERED. */
export const deliveryRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().use(identityFrom(ctx.config)).post(
    "/v1/deliveries/:orderId/status",
    async ({ identity, params, body }) => {
      const rider = requireRole(identity, "rider");
      const delivery = await forOrder(params.orderId, () =>
        reportStatus(ctx.db, {
          orderId: params.orderId,
          riderUserId: rider.userId,
          status: body.status,
        }),
      );
      return DeliveryView.parse({
        deliveryId: delivery.delivery_id,
        orderId: delivery.order_id,
        riderId: delivery.rider_id,
        status: delivery.status,
        etaMinutes: delivery.eta_minutes ?? 0,
      });
    },
    { params: DeliveryParams, body: DeliveryStatusBody, response: DeliveryView },
  );
