import type { OrderAccepted } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Identity } from "../../shared/http/edge-identity";
import { conflict, forbidden, notFound } from "../../shared/http/errors";
import { withAppendRetry } from "../db/event-store";
import { loadOrder } from "../db/order-repository";
import { lockSaga } from "../db/saga-repository";
import type { Database } from "../db/schema";
import { cancellability } from "../domain/saga";
import { applySagaInput } from "./apply";
import type { SagaSettings } from "./settings";

/**
 * The owner's cancel, routed through the saga (the order is semantically locked while PENDING): a running
 * saga records the request and compensates at its next reply; a confirmed order not yet picked up is
 * compensated at once (delivery cancelled, payment refunded, stock released). After pick-up: 409.
 */
export async function cancelOrder(
  db: Kysely<Database>,
  settings: SagaSettings,
  caller: Identity,
  orderId: string,
): Promise<OrderAccepted> {
  return withAppendRetry(db, async (trx) => {
    const saga = await lockSaga(trx, orderId);
    if (!saga) throw notFound("order");
    if (saga.data.userId !== caller.userId) throw forbidden("only the owner may cancel this order");
    const verdict = cancellability(saga.state);
    if (verdict === "terminal") throw conflict("order_closed", "The order is already rejected or cancelled");
    if (verdict === "picked_up")
      throw conflict("order_picked_up", "The rider has already picked the order up");
    await applySagaInput(trx, settings, orderId, { type: "CancelRequested" }, {}, saga);
    const order = await loadOrder(trx, orderId);
    return { orderId, status: order?.status ?? "PENDING" };
  });
}
