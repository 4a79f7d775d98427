import type { Kysely } from "kysely";
import { type OrderEvent, type OrderState, replay } from "../domain/order";
import { appendEvents, loadEvents } from "./event-store";
import { project } from "./projections";
import type { Database } from "./schema";

/** The order's current state, folded from its events; null for an unknown order. */
export async function loadOrder(db: Kysely<Database>, orderId: string): Promise<OrderState | null> {
  const events = await loadEvents(db, orderId);
  return events.length === 0 ? null : replay(orderId, events);
}

/**
 * Appends events to an order (optimistically, after the version it was loaded at) and updates both
 * projections in the same transaction. Returns the new state.
 */
export async function recordEvents(
  db: Kysely<Database>,
  orderId: string,
  events: readonly OrderEvent[],
): Promise<OrderState | null> {
  const history = await loadEvents(db, orderId);
  if (events.length === 0) return history.length === 0 ? null : replay(orderId, history);
  const appended = await appendEvents(db, orderId, history.at(-1)?.version ?? 0, events);
  const state = replay(orderId, [...history, ...appended]);
  await project(db, state);
  return state;
}
