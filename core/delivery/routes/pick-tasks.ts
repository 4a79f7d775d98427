import { CompletePickTaskBody, PickTaskParams, PickTaskView, StoreParams } from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole, requireStoreRole } from "../../shared/http/edge-identity";
import { AppError } from "../../shared/http/errors";
import { QueueUnavailableError } from "../../shared/queue";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import type { PickFloor } from "../use-cases/pick-floor";

/** Store staff claim the next pick task of their store, one at a time, and report it packed. */
export const pickTaskRoutes = (ctx: ServiceContext<Database>, floor: PickFloor) =>
  new Elysia()
    .use(identityFrom(ctx.config))
    .get(
      "/v1/stores/:storeId/pick-tasks/next",
      async ({ identity, params, set }) => {
        const picker = requireStoreRole(identity, params.storeId, "store_staff");
        const task = await floor.claimNext(params.storeId, picker.userId).catch((error) => {
          if (error instanceof QueueUnavailableError)
            throw new AppError(
              503,
              "queue_unavailable",
              "Pick tasks cannot be handed out now; try again",
              undefined,
              {
                "retry-after": "5",
              },
            );
          throw error;
        });
        if (!task) {
          set.status = 204;
          return undefined;
        }
        return task;
      },
      { params: StoreParams, response: { 200: PickTaskView, 204: PickTaskView.optional() } },
    )
    .post(
      "/v1/pick-tasks/:taskId/complete",
      async ({ identity, params, body }) => {
        const picker = requireRole(identity, "store_staff", "admin");
        return floor.complete(params.taskId, picker.userId, body);
      },
      { params: PickTaskParams, body: CompletePickTaskBody, response: PickTaskView },
    );
