import { every } from "../shared/runtime/every";
import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { startCommandConsumer } from "./consumers/commands";
import { startShopperNotifications } from "./consumers/notify-shopper";
import type { Database } from "./db/schema";
import { retryAllWaiting } from "./use-cases/assign-rider";

/** Deliveries, riders per dark store, assignment and ETA; rider status updates. */
export const deliveryService: ServiceDefinition<Database> = {
  name: "delivery",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background: async (ctx) => [
    await startCommandConsumer(ctx),
    await startShopperNotifications(ctx),
    // Waiting deliveries get another try (and fail past their deadline); SKIP LOCKED lets instances share it.
    every(ctx.config.DELIVERY_ASSIGN_RETRY_MS, () => retryAllWaiting(ctx.db), ctx.logger, "assignment retry"),
  ],
};

if (import.meta.main) await runServiceMain(deliveryService);
