import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** One cart per shopper per store in Redis, written behind to Postgres. */
export const cartService: ServiceDefinition<Database> = {
  name: "cart",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(cartService);
