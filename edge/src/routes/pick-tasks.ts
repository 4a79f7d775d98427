import { CompletePickTaskBody, PickTaskParams } from "@qc/contracts";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn } from "./limits";

/** /v1/pick-tasks: the picker holding a task reports it packed (delivery checks that they hold it). */
export const pickTasks = new Hono<AppEnv>()
  .use(...signedIn)
  .post(
    "/:taskId/complete",
    requireRole("store_staff", "admin"),
    validate("param", PickTaskParams),
    validate("json", CompletePickTaskBody),
    (c) => forward(c, "delivery", c.req.valid("json")),
  );
