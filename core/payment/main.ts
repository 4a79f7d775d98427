import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { connectProvider } from "./clients/card-processor/connect";
import { startCommandConsumer } from "./consumers/commands";
import type { Database } from "./db/schema";

/** Payment intents against the card provider, and the double-entry ledger. */
export const paymentService: ServiceDefinition<Database> = {
  name: "payment",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  background: async (ctx) => {
    const processor = connectProvider(ctx);
    // Stopped in reverse: the consumer drains before the processor's pool closes.
    return [processor, await startCommandConsumer(ctx, processor.provider)];
  },
};

if (import.meta.main) await runServiceMain(paymentService);
