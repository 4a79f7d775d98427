import type { ServiceContext } from "../../../shared/runtime/context";
import type { Database } from "../../db/schema";

/** How long the simulated processor takes to answer, changeable while the service runs. */
export interface ProviderLatency {
  ms: number;
}

const dials = new WeakMap<ServiceContext<Database>, ProviderLatency>();

/**
 * The one latency dial of a running payment service, shared by the simulator (which reads it on every call)
 * and the internal route that turns it. Starts at PAYMENT_PROVIDER_LATENCY_MS.
 */
export function providerLatency(ctx: ServiceContext<Database>): ProviderLatency {
  let dial = dials.get(ctx);
  if (!dial) {
    dial = { ms: ctx.config.PAYMENT_PROVIDER_LATENCY_MS };
    dials.set(ctx, dial);
  }
  return dial;
}
