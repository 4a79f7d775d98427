import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** Deliveries, riders per dark store, assignment and ETA; rider status updates. */
export const deliveryService: ServiceDefinition<Database> = {
  name: "delivery",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(deliveryService);
