import { z } from "zod";

export const HealthState = z.enum(["ok", "degraded", "down"]);
export type HealthState = z.infer<typeof HealthState>;

/** One service's readiness and the state of each dependency it checked. */
export const ServiceHealth = z.object({
  service: z.string(),
  status: HealthState,
  checks: z.record(z.string(), HealthState),
});
export type ServiceHealth = z.infer<typeof ServiceHealth>;

/** GET /v1/health: the overall state; operators (admin) also get every core service's. */
export const HealthView = z.object({
  status: HealthState,
  services: z
    .record(z.string(), ServiceHealth.omit({ service: true }).extend({ latencyMs: z.number().nullable() }))
    .optional(),
});
export type HealthView = z.infer<typeof HealthView>;
