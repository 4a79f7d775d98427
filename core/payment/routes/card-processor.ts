import { Elysia } from "elysia";
import { z } from "zod";
import type { ServiceContext } from "../../shared/runtime/context";
import { providerLatency } from "../clients/card-processor/latency";
import type { Database } from "../db/schema";

const ProcessorLatency = z.object({ latencyMs: z.number().int().min(0).max(120_000) });

/**
 * Dev/test only (not mounted in production): turns the simulated processor's answer time at runtime, the way
 * a real provider degrades — every call still answers, just late — so fault tests can open the breaker.
 */
export const cardProcessorRoutes = (ctx: ServiceContext<Database>) => {
  const latency = providerLatency(ctx);
  return new Elysia()
    .get("/internal/v1/card-processor/latency", () => ({ latencyMs: latency.ms }), {
      response: ProcessorLatency,
    })
    .put(
      "/internal/v1/card-processor/latency",
      ({ body }) => {
        latency.ms = body.latencyMs;
        ctx.logger.warn({ latencyMs: body.latencyMs }, "simulated card processor latency changed");
        return { latencyMs: latency.ms };
      },
      { body: ProcessorLatency, response: ProcessorLatency },
    );
};
