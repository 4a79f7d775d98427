import { Availability, type AvailabilityRequest } from "@qc/contracts";
import { Inventory } from "@qc/contracts/grpc/services";
import type { Config } from "../../shared/config";
import { grpcClient } from "../../shared/grpc/client";

/** Inventory's availability over gRPC behind a short deadline, one retry and a breaker (a cart read degrades). */
export function inventoryClient(config: Config) {
  const route = { caller: "cart", callee: "inventory", service: Inventory } as const;
  const inventory = grpcClient(config, route, { deadlineMs: 500, retries: 1 });
  return {
    availability: (request: AvailabilityRequest): Promise<Availability> =>
      inventory.call("getAvailability", request, Availability),
  };
}

export type InventoryClient = ReturnType<typeof inventoryClient>;
