import type { OrderView } from "@qc/contracts";
import type { Kysely } from "kysely";
import { findView } from "../db/order-views";
import type { Database } from "../db/schema";
import { nextStatusChange, type StatusChange } from "./status-changes";

/**
 * The order's view once it is no longer PENDING, or as it is after `timeoutMs`: waits on the order's next
 * status change (told after commit, in process with the view or through Redis), never by polling the database.
 * `placedHere`: the caller listened before its own request committed the order as PENDING, so the order's
 * current state is known and is not read back.
 */
export async function settledView(
  db: Kysely<Database>,
  orderId: string,
  timeoutMs: number,
  placedHere?: StatusChange,
): Promise<OrderView | null> {
  // Listen first, then read: a change committed between the two is not missed.
  const change = placedHere ?? nextStatusChange(orderId, timeoutMs);
  try {
    if (!placedHere) {
      const view = await findView(db, orderId);
      if (view?.status !== "PENDING") return view;
    }
    // A change committed in this process comes with the view; one heard through Redis is read.
    return (await change.changed) ?? findView(db, orderId);
  } finally {
    change.cancel();
  }
}
