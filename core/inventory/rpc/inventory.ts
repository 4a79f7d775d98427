import { Availability, AvailabilityRequest } from "@qc/contracts";
import { Inventory } from "@qc/contracts/grpc/services";
import { type GrpcService, unary } from "../../shared/grpc/server";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { readAvailability } from "../use-cases/read-availability";

/** Inventory over gRPC: units available per SKU of one store, for cart's stock marks. */
export const inventoryRpc = (ctx: ServiceContext<Database>): GrpcService => ({
  service: Inventory,
  unary: {
    getAvailability: unary({
      input: AvailabilityRequest,
      output: Availability,
      handle: (request) => readAvailability(ctx.db, request),
    }),
  },
});
