import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { startCommandConsumer } from "./consumers/commands";
import { startShopperNotifications } from "./consumers/notify-shopper";
import type { Database } from "./db/schema";
import { startAssigner } from "./use-cases/retry-assignments";

/** Deliveries, riders per dark store, assignment and ETA; rider status updates. */
export const deliveryService: ServiceDefinition<Database> = {
  name: "delivery",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background: async (ctx) => [
    await startCommandConsumer(ctx),
    await startShopperNotifications(ctx),
    startAssigner(ctx.db, ctx.config.DELIVERY_ASSIGN_RETRY_MS, ctx.logger),
  ],
};

if (import.meta.main) await runServiceMain(deliveryService);
