import { DeliveryParams, SubstituteHold } from "@qc/contracts";
import { Elysia } from "elysia";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { holdSubstitutes } from "../use-cases/hold-substitutes";

/** Delivery holds substitutes for an order's missing items in its reservation when a picker completes it. */
export const reservationRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().post(
    "/internal/v1/reservations/:orderId/substitutes",
    ({ params, body }) => holdSubstitutes(ctx.db, params.orderId, body),
    { params: DeliveryParams, body: SubstituteHold, response: SubstituteHold },
  );
