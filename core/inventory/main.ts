import { every } from "../shared/runtime/every";
import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { startCommandConsumer } from "./consumers/commands";
import type { Database } from "./db/schema";
import { expireAllReservations } from "./use-cases/expire-reservations";

/** Stock per dark store and SKU: on hand, reserved, available; all-or-nothing reservations. */
export const inventoryService: ServiceDefinition<Database> = {
  name: "inventory",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background: async (ctx) => [
    await startCommandConsumer(ctx),
    every(
      ctx.config.INVENTORY_SWEEP_INTERVAL_MS,
      () => expireAllReservations(ctx.db),
      ctx.logger,
      "reservation sweep",
    ),
  ],
};

if (import.meta.main) await runServiceMain(inventoryService);
