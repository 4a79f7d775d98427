import { type ServiceName, serviceNames } from "@qc/contracts";

/** The core services the edge talks to; each serves its public paths itself. */
export const services = serviceNames;
export type Service = ServiceName;

const urlVars = {
  auth: "AUTH_URL",
  catalog: "CATALOG_URL",
  pricing: "PRICING_URL",
  cart: "CART_URL",
  inventory: "INVENTORY_URL",
  order: "ORDER_URL",
  payment: "PAYMENT_URL",
  delivery: "DELIVERY_URL",
} as const satisfies Record<Service, keyof Env>;

/** Base URL of a core service from the Worker's vars, without a trailing slash. */
export function serviceUrl(env: Env, service: Service): string {
  return env[urlVars[service]].replace(/\/+$/, "");
}

/**
 * Services whose work needs more than the default deadline. Auth runs argon2id (~45 ms of a core each)
 * and queues a burst up to a 3 s wait estimate before it sheds with 503 + Retry-After itself; registration
 * also answers no sooner than 500 ms. 10 s covers that queue even when the estimate is several times off
 * on a loaded machine, so a burst ends in a 201 or a fast 503, never a 504 for an account that was made.
 */
const minimumTimeoutMs: Partial<Record<Service, number>> = { auth: 10_000 };

/** The edge's deadline for a call to `service`: the configured one, raised where the work needs it. */
export function serviceTimeoutMs(service: Service, configuredMs: number): number {
  return Math.max(configuredMs, minimumTimeoutMs[service] ?? 0);
}
