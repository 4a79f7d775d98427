import { DeliveryParams, DeliveryStatusBody } from "@qc/contracts";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn } from "./limits";

/** /v1/deliveries: riders report progress on the orders they carry. */
export const deliveries = new Hono<AppEnv>()
  .use(...signedIn)
  .post(
    "/:orderId/status",
    requireRole("rider"),
    validate("param", DeliveryParams),
    validate("json", DeliveryStatusBody),
    (c) => forward(c, "delivery", c.req.valid("json")),
  );
