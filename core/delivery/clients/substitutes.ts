import { type Line, Quote, SubstituteHold } from "@qc/contracts";
import { callJson, isTransient } from "../../shared/http/client";
import { policyFor } from "../../shared/resilience";
import { type ServiceContext, serviceUrl } from "../../shared/runtime/context";
import type { Database } from "../db/schema";

/**
 * What a picker's substitutes need from the services that own them: their price in the store (pricing) and
 * units held for the order (inventory). Each answers a refused line as `lines.<i>.sku` of the lines it was sent.
 */
export function substituteClients(ctx: ServiceContext<Database>) {
  const pricing = policyFor("pricing", { timeoutMs: 2_000, retries: 1, isTransient });
  const inventory = policyFor("inventory", { timeoutMs: 2_000, retries: 1, isTransient });
  const pricingUrl = serviceUrl(ctx.config, "pricing");
  const inventoryUrl = serviceUrl(ctx.config, "inventory");
  return {
    /** The unit price of each line's SKU in the store, as the shopper would be quoted it. */
    async unitPrices(userId: string, storeId: string, lines: Line[]): Promise<number[]> {
      const quote = await callJson(
        pricing,
        { method: "POST", url: `${pricingUrl}/internal/v1/quotes`, body: { userId, storeId, lines } },
        Quote,
      );
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
