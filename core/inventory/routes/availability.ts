import { Availability, AvailabilityRequest } from "@qc/contracts";
import { Elysia } from "elysia";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { readAvailability } from "../use-cases/read-availability";

/** Units available now per SKU of one store (0 for SKUs it does not stock), for cart and catalog. */
export const availabilityRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().post("/internal/v1/availability", ({ body }) => readAvailability(ctx.db, body), {
    body: AvailabilityRequest,
    response: Availability,
  });
