import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** Payment intents against the card provider, and the double-entry ledger. */
export const paymentService: ServiceDefinition<Database> = {
  name: "payment",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(paymentService);
