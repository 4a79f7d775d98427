import type { HealthState, HealthView, ServiceHealth } from "@qc/contracts";
import { Hono } from "hono";
import { type Service, services, serviceUrl } from "../core/services";
import type { AppEnv } from "../env";
import { authenticate } from "../middleware/auth";

const PROBE_TIMEOUT_MS = 1_000;
/** One probe round serves every caller for this long, so /v1/health cannot be used to hammer core. */
const HEALTH_CACHE_MS = 5_000;

type Probe = NonNullable<HealthView["services"]>[string];

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

async function probeAll(env: Env): Promise<HealthView> {
  const probes = await Promise.all(services.map((service) => probe(env, service)));
  return {
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
}

// The latest probe round per set of service URLs (per isolate), shared by callers for HEALTH_CACHE_MS.
const rounds = new Map<string, { at: number; view: Promise<HealthView> }>();

function cachedProbes(env: Env): Promise<HealthView> {
  const key = services.map((service) => serviceUrl(env, service)).join(" ");
  const round = rounds.get(key);
  if (round && Date.now() - round.at < HEALTH_CACHE_MS) return round.view;
  const view = probeAll(env);
  rounds.set(key, { at: Date.now(), view });
  return view;
}

/**
 * GET /v1/health: the edge plus the readiness of every core service, each with a short timeout, probed at
 * most once per 5 s. Anyone sees the overall status; which service and dependency is down (a map of the
 * inside) only an operator (admin) sees.
 */
export const health = new Hono<AppEnv>().get("/", authenticate({ required: false }), async (c) => {
  const view = await cachedProbes(c.env);
  const status = view.status === "ok" ? 200 : 503;
  if (c.get("user")?.roles.includes("admin")) {
    c.header("cache-control", "private, no-store");
    return c.json(view, status);
  }
  c.header("cache-control", `public, max-age=${HEALTH_CACHE_MS / 1000}`);
  return c.json({ status: view.status } satisfies HealthView, status);
});
