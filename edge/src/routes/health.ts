import type { HealthState, HealthView, ServiceHealth } from "@qc/contracts";
import { Hono } from "hono";
import { type Service, services, serviceUrl } from "../core/services";
import type { AppEnv } from "../env";

const PROBE_TIMEOUT_MS = 1_000;

type Probe = HealthView["services"][string];

function stateOf(check: unknown): HealthState {
  return check === "up" || check === "ok" ? "ok" : "down";
}

// Readiness is unsigned and off `/v1`, so it is probed directly rather than through the breaker.
async function probe(env: Env, service: Service): Promise<Probe> {
  const startedAt = Date.now();
  try {
    const response = await fetch(`${serviceUrl(env, service)}/health/ready`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const body = (await response.json()) as { status?: string; checks?: Record<string, unknown> };
    const checks: ServiceHealth["checks"] = Object.fromEntries(
      Object.entries(body.checks ?? {}).map(([name, check]) => [name, stateOf(check)]),
    );
    const status = response.ok && body.status === "ready" ? "ok" : "degraded";
    return { status, checks, latencyMs: Date.now() - startedAt };
  } catch {
    return { status: "down", checks: {}, latencyMs: null };
  }
}

/** GET /v1/health: the edge plus the readiness of every core service, each with a short timeout. */
export const health = new Hono<AppEnv>().get("/", async (c) => {
  const probes = await Promise.all(services.map((service) => probe(c.env, service)));
  const view: HealthView = {
    status: probes.every((p) => p.status === "ok")
      ? "ok"
      : probes.some((p) => p.status === "ok")
        ? "degraded"
        : "down",
    services: {
      edge: { status: "ok", checks: {}, latencyMs: 0 },
      ...Object.fromEntries(services.map((service, i) => [service, probes[i] as Probe])),
    },
  };
  return c.json(view, view.status === "ok" ? 200 : 503);
});
