import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { startReadModelConsumer } from "./consumers/read-model";
import type { Database } from "./db/schema";

/** Products, categories, dark stores and serviceability; the read model the edge caches. */
export const catalogService: ServiceDefinition<Database> = {
  name: "catalog",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background: async (ctx) => [await startReadModelConsumer(ctx)],
};

if (import.meta.main) await runServiceMain(catalogService);
