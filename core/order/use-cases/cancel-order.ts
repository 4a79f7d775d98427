import type { OrderAccepted } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import type { Identity } from "../../shared/http/edge-identity";
import { conflict, notFound } from "../../shared/http/errors";
import { lockAggregate } from "../db/aggregate-repository";
import type { Database } from "../db/schema";
import { cancellability } from "../domain/saga";
import { actorOf, applySagaInput } from "./apply";
import type { SagaSettings } from "./settings";

/**
 * The owner's cancel, routed through the saga (the order is semantically locked while PENDING): a running
 * saga records the request and compensates at its next reply; a confirmed order not yet picked up is
 * compensated at once (delivery cancelled, authorization voided, stock released). After pick-up: 409.
 * Someone else's order is 404, as if it did not exist.
 */
export async function cancelOrder(
  db: Kysely<Database>,
  settings: SagaSettings,
  caller: Identity,
  orderId: string,
): Promise<OrderAccepted> {
  return transact(db, async (trx) => {
    const aggregate = await lockAggregate(trx, orderId);
    if (!aggregate || aggregate.data.userId !== caller.userId) throw notFound("order");
    const verdict = cancellability(aggregate.saga);
    if (verdict === "terminal") throw conflict("order_closed", "The order is already rejected or cancelled");
    if (verdict === "picked_up")
      throw conflict("order_picked_up", "The rider has already picked the order up");
    const order = await applySagaInput(
      trx,
      settings,
      orderId,
      { type: "CancelRequested" },
      { locked: aggregate, actor: actorOf(caller) },
    );
    return { orderId, status: order?.status ?? "PENDING" };
  });
}
