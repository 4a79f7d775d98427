import { createDb } from "../../../shared/db";
import type { ServiceContext, Stoppable } from "../../../shared/runtime/context";
import type { Database } from "../../db/schema";
import { providerLatency } from "./latency";
import type { PaymentProvider } from "./provider";
import { resilientProvider } from "./resilient";
import { createSimulatedProvider } from "./simulator";

/** The processor this service talks to (here the local simulator on a pool of its own), behind its policy. */
export function connectProvider(ctx: ServiceContext<Database>): { provider: PaymentProvider } & Stoppable {
  const { config } = ctx;
  const latency = providerLatency(ctx);
  const processorDb = createDb<Database>({
    url: config.DATABASE_URL,
    schema: "payment",
    poolMax: 3,
    applicationName: "payment-simulator",
  });
  const simulator = createSimulatedProvider(processorDb, {
    latencyMs: () => latency.ms,
    slowMs: config.PAYMENT_PROVIDER_TIMEOUT_MS * 3,
  });
  return {
    provider: resilientProvider(simulator, {
      timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
      retries: config.PAYMENT_PROVIDER_RETRIES,
    }),
    stop: () => processorDb.destroy(),
  };
}
