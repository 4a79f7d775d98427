import { PickTaskItem, ShopperNotification } from "@qc/contracts";
import { createRabbitQueue } from "../shared/queue/rabbitmq";
import type { ServiceContext } from "../shared/runtime/context";
import { substituteClients } from "./clients/substitutes";
import type { Database } from "./db/schema";
import { EXPRESS_PRIORITY } from "./domain/picking";
import { createPickFloor } from "./use-cases/pick-floor";
import { pickTaskQueue } from "./use-cases/queue-pick-task";
import { substituteDesk } from "./use-cases/substitute-desk";

/** The queue of shopper notifications in the notify family (one queue: the notifier's). */
export const SHOPPER_NOTIFICATIONS = "shopper";

const built = new WeakMap<ServiceContext<Database>, ReturnType<typeof build>>();

const build = (ctx: ServiceContext<Database>) => {
  const queue = createRabbitQueue({
    url: ctx.config.RABBITMQ_URL,
    prefix: ctx.config.QUEUE_PREFIX,
    expiresMs: ctx.config.QUEUE_EXPIRES_MS,
    logger: ctx.logger,
  });
  // One queue per dark store, keyed by store id; express orders first.
  const pickQueues = queue.workQueues({
    name: "pick",
    schema: PickTaskItem,
    retryDelayMs: ctx.config.PICK_RETRY_DELAY_MS,
    maxPriority: EXPRESS_PRIORITY,
  });
  const notifyQueues = queue.workQueues({
    name: "notify",
    schema: ShopperNotification,
    retryDelayMs: ctx.config.NOTIFIER_RETRY_DELAY_MS,
  });
  return {
    queue,
    pickQueues,
    notifyQueues,
    floor: createPickFloor(ctx, pickQueues, substituteDesk(substituteClients(ctx))),
    pickTasks: pickTaskQueue(ctx.db, pickQueues, ctx.logger),
  };
};

/** The work queues and the pick floor of a running delivery service, shared by routes and background work. */
export function deliveryParts(ctx: ServiceContext<Database>) {
  let parts = built.get(ctx);
  if (!parts) {
    parts = build(ctx);
    built.set(ctx, parts);
  }
  return parts;
}
