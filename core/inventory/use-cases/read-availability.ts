import type { Availability, AvailabilityRequest } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { availableBySku } from "../db/stock-repository";

/** Units available now per asked SKU of one store, 0 for SKUs it does not stock. */
export async function readAvailability(
  db: Kysely<Database>,
  request: AvailabilityRequest,
): Promise<Availability> {
  const available = await availableBySku(db, request.storeId, request.skus);
  return {
    storeId: request.storeId,
    items: request.skus.map((sku) => ({ sku, available: available.get(sku) ?? 0 })),
  };
}
