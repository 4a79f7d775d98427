import { every } from "../shared/runtime/every";
import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { notifierSimulator } from "./clients/notifier";
import { startCommandConsumer } from "./consumers/commands";
import { startNotifier } from "./consumers/notifier";
import { startShopperNotifications } from "./consumers/notify-shopper";
import { startPickingConsumer } from "./consumers/picking";
import type { Database } from "./db/schema";
import { riderTrackingRpc } from "./rpc/rider-tracking";
import { retryAllWaiting } from "./use-cases/assign-rider";
import { deliveryParts, SHOPPER_NOTIFICATIONS } from "./wiring";

// How often queued pick tasks the broker never confirmed are published again.
const REPUBLISH_INTERVAL_MS = 5_000;

/**
 * The dark store after checkout: picking (pick tasks per store on RabbitMQ), riders, assignment and ETA,
 * rider status updates, and the shopper's notifications (through RabbitMQ to the notifier).
 */
export const deliveryService: ServiceDefinition<Database> = {
  name: "delivery",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  grpc: (ctx) => [riderTrackingRpc(ctx)],
  background: async (ctx) => {
    const { queue, pickQueues, notifyQueues, floor, pickTasks } = deliveryParts(ctx);
    // The topology, declared at start-up (idempotent): the pick family with every known store's queue, and
    // the notifier's queue. A store met later gets its queue when its first task is published.
    const stores = await ctx.db.selectFrom("stores").select("store_id").execute();
    await pickQueues.declare(...stores.map((store) => store.store_id));
    await notifyQueues.declare(SHOPPER_NOTIFICATIONS);
    return [
      // Stopped last: the connection the others use.
      { stop: () => queue.close() },
      floor.stoppable(),
      await startCommandConsumer(ctx),
      await startPickingConsumer(ctx, pickTasks),
      await startShopperNotifications(ctx, notifyQueues),
      startNotifier(ctx, notifyQueues, notifierSimulator(ctx.config)),
      every(REPUBLISH_INTERVAL_MS, () => pickTasks.republish(), ctx.logger, "pick task republish"),
      // Waiting deliveries get another try (and fail past their deadline); SKIP LOCKED lets instances share it.
      every(
        ctx.config.DELIVERY_ASSIGN_RETRY_MS,
        () => retryAllWaiting(ctx.db),
        ctx.logger,
        "assignment retry",
      ),
    ];
  },
};

if (import.meta.main) await runServiceMain(deliveryService);
