import { type Kysely, sql } from "kysely";
import { evolve, fromSnapshot, type OrderState, toSnapshot } from "../domain/order";
import { loadEvents } from "./event-store";
import type { Database } from "./schema";

/**
 * Keeps the order's state in order_snapshots when the step that moved it from `fromVersion` crossed a
 * multiple of `every` events; called in the step's transaction, so a snapshot never runs ahead of its events.
 */
export async function snapshotIfDue(
  db: Kysely<Database>,
  order: OrderState,
  fromVersion: number,
  every: number,
): Promise<void> {
  if (Math.floor(order.version / every) === Math.floor(fromVersion / every)) return;
  await db
    .insertInto("order_snapshots")
    .values({
      order_id: order.orderId,
      version: order.version,
      state: JSON.stringify(toSnapshot(order)),
      // The stored instant of its last event (microseconds; the folded state only keeps milliseconds).
      taken_at: sql<Date>`(select occurred_at from order_events
                            where order_id = ${order.orderId} and version = ${order.version})`,
    })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
}

/**
 * The order as it was at `asOf`: the latest snapshot taken by then, folded forward with the events recorded
 * up to that instant. Null when the order had no event yet (unknown, or placed later).
 */
export async function orderAsOf(
  db: Kysely<Database>,
  orderId: string,
  asOf: Date,
): Promise<OrderState | null> {
  const snapshot = await db
    .selectFrom("order_snapshots")
    .select("state")
    .where("order_id", "=", orderId)
    .where("taken_at", "<=", asOf)
    .orderBy("version", "desc")
    .limit(1)
    .executeTakeFirst();
  const base = snapshot ? fromSnapshot(snapshot.state) : null;
  const events = await loadEvents(db, orderId, { afterVersion: base?.version ?? 0, until: asOf });
  return events.reduce<OrderState | null>((state, event) => evolve(orderId, state, event), base);
}
