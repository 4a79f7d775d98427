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
