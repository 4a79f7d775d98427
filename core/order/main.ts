import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { background } from "./background";
import type { Database } from "./db/schema";

/** The order aggregate (event-sourced) and the checkout saga orchestrator. */
export const orderService: ServiceDefinition<Database> = {
  name: "order",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background,
};

if (import.meta.main) await runServiceMain(orderService);
