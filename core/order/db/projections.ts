import type { Kysely } from "kysely";
import { type OrderState, replay, toView } from "../domain/order";
import { loadEvents } from "./event-store";
import type { Database } from "./schema";

/** Writes the order's projection (the view and the columns lists filter on) from its new state. */
export async function project(db: Kysely<Database>, state: OrderState): Promise<void> {
  const columns = {
    status: state.status,
    reason: state.reason,
    total_minor: state.total.amountMinor,
    currency: state.total.currency,
    version: state.version,
    view: JSON.stringify(toView(state)),
    updated_at: state.updatedAt,
  };
  await db
    .insertInto("order_views")
    .values({
      order_id: state.orderId,
      user_id: state.userId,
      store_id: state.storeId,
      created_at: state.createdAt,
      ...columns,
    })
    .onConflict((conflict) => conflict.column("order_id").doUpdateSet(columns))
    .execute();
}

/** Rebuilds the projection from the event store alone (after a projection change or data loss). */
export async function rebuildProjections(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("order_views").execute();
    const ids = await trx.selectFrom("order_events").select("order_id").distinct().execute();
    for (const { order_id } of ids) await project(trx, replay(order_id, await loadEvents(trx, order_id)));
    return ids.length;
  });
}
