import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** Stock per dark store and SKU: on hand, reserved, available; all-or-nothing reservations. */
export const inventoryService: ServiceDefinition<Database> = {
  name: "inventory",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(inventoryService);
