import { Availability, type AvailabilityRequest } from "@qc/contracts";
import type { Config } from "../../shared/config";
import { policyFor } from "../../shared/resilience";
import { serviceUrl } from "../../shared/runtime/context";
import { isTransient, postJson } from "./internal-http";

/** Inventory's availability endpoint behind a short timeout, one retry and a breaker (a cart read degrades). */
export function inventoryClient(config: Config) {
  const policy = policyFor("inventory", { timeoutMs: 500, retries: 1, isTransient });
  const base = serviceUrl(config, "inventory");
  return {
    availability: (request: AvailabilityRequest): Promise<Availability> =>
      postJson(policy, `${base}/internal/v1/availability`, request, Availability),
  };
}

export type InventoryClient = ReturnType<typeof inventoryClient>;
