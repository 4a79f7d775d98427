import { type Line, Quote, SubstituteHold } from "@qc/contracts";
import { Pricing } from "@qc/contracts/grpc/services";
import { grpcClient } from "../../shared/grpc/client";
import { callJson, isTransient } from "../../shared/http/client";
import { policyFor } from "../../shared/resilience";
import { type ServiceContext, serviceUrl } from "../../shared/runtime/context";
import type { Database } from "../db/schema";

/**
 * What a picker's substitutes need from the services that own them: their price in the store (pricing's
 * quote over gRPC, a read) and units held for the order (inventory, a command over HTTP). Each refuses a line as
 * `lines.<i>.sku` of the lines it was sent.
 */
export function substituteClients(ctx: ServiceContext<Database>) {
  const pricing = grpcClient(ctx, { callee: "pricing", service: Pricing }, { deadlineMs: 2_000, retries: 1 });
  const inventory = policyFor("inventory", { timeoutMs: 2_000, retries: 1, isTransient });
  const inventoryUrl = serviceUrl(ctx.config, "inventory");
  return {
    /** The unit price of each line's SKU in the store, as the shopper would be quoted it. */
    async unitPrices(userId: string, storeId: string, lines: Line[]): Promise<number[]> {
      const quote = await pricing.call("quoteCart", { userId, storeId, lines }, Quote);
      return quote.lines.map((line) => line.unitPriceMinor);
    },

    /** The order's reservation holds exactly these substitute units (an empty list gives any back). */
    hold: (orderId: string, hold: SubstituteHold) =>
      callJson(
        inventory,
        {
          method: "POST",
          url: `${inventoryUrl}/internal/v1/reservations/${orderId}/substitutes`,
          body: hold,
        },
        SubstituteHold,
      ),
  };
}

export type SubstituteClients = ReturnType<typeof substituteClients>;
