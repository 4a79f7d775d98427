import { purgerFor } from "../shared/edge-purge";
import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { startEdgePurgeConsumer } from "./consumers/edge-purge";
import { startReadModelConsumer } from "./consumers/read-model";
import type { Database } from "./db/schema";

/** Products, categories, dark stores and serviceability; the read model the edge caches. */
export const catalogService: ServiceDefinition<Database> = {
  name: "catalog",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background: async (ctx) => {
    const purger = purgerFor(ctx.config);
    const consumers = [await startReadModelConsumer(ctx)];
    if (purger) consumers.push(await startEdgePurgeConsumer(ctx, purger));
    return consumers;
  },
};

if (import.meta.main) await runServiceMain(catalogService);
