import { Availability, type AvailabilityRequest } from "@qc/contracts";
import { Inventory } from "@qc/contracts/grpc/services";
import { type GrpcCaller, grpcClient } from "../../shared/grpc/client";

/** Inventory's availability over gRPC behind a short deadline, one retry and a breaker (a cart read degrades). */
export function inventoryClient(cart: GrpcCaller) {
  const inventory = grpcClient(
    cart,
    { callee: "inventory", service: Inventory },
    { deadlineMs: 500, retries: 1 },
  );
  return {
    availability: (request: AvailabilityRequest): Promise<Availability> =>
      inventory.call("getAvailability", request, Availability),
  };
}

export type InventoryClient = ReturnType<typeof inventoryClient>;
