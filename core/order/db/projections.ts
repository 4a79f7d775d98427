import type { Kysely } from "kysely";
import { type OrderState, replay, toView } from "../domain/order";
import { loadEvents } from "./event-store";
import type { Database } from "./schema";

/** Writes both projections of one order: the `orders` read model and the shopper's `order_views`. */
export async function project(db: Kysely<Database>, state: OrderState): Promise<void> {
  const row = {
    order_id: state.orderId,
    user_id: state.userId,
    store_id: state.storeId,
    status: state.status,
    reason: state.reason,
    total_minor: state.total.amountMinor,
    currency: state.total.currency,
    delivery_id: state.deliveryId,
    eta_minutes: state.etaMinutes,
    version: state.version,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
  };
  const { order_id: _, ...changes } = row;
  await db
    .insertInto("orders")
    .values(row)
    .onConflict((conflict) => conflict.column("order_id").doUpdateSet(changes))
    .execute();
  const view = {
    order_id: state.orderId,
    user_id: state.userId,
    status: state.status,
    view: JSON.stringify(toView(state)),
    created_at: state.createdAt,
  };
  await db
    .insertInto("order_views")
    .values(view)
    .onConflict((conflict) =>
      conflict.column("order_id").doUpdateSet({ status: view.status, view: view.view }),
    )
    .execute();
}

/** Rebuilds both projections from the event store alone (after a projection change or data loss). */
export async function rebuildProjections(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("order_views").execute();
    await trx.deleteFrom("orders").execute();
    const ids = await trx.selectFrom("order_events").select("order_id").distinct().execute();
    for (const { order_id } of ids) await project(trx, replay(order_id, await loadEvents(trx, order_id)));
    return ids.length;
  });
}
