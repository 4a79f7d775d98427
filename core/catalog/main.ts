import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** Products, categories, dark stores and serviceability; the read model the edge caches. */
export const catalogService: ServiceDefinition<Database> = {
  name: "catalog",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(catalogService);
