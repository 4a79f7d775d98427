import type { Kysely } from "kysely";
import type { OrderEvent, RecordedEvent } from "../domain/order";
import type { Database } from "./schema";

/** Another writer appended to the same order first; the caller reruns its unit of work. */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "23505";

/** An order's events, oldest first. */
export async function loadEvents(db: Kysely<Database>, orderId: string): Promise<RecordedEvent[]> {
  const rows = await db
    .selectFrom("order_events")
    .selectAll()
    .where("order_id", "=", orderId)
    .orderBy("version")
    .execute();
  return rows.map(
    (row) =>
      ({
        type: row.type,
        data: row.data,
        version: row.version,
        occurredAt: row.occurred_at,
      }) as RecordedEvent,
  );
}

/**
 * Appends events after `expectedVersion` (0 for a new order). The (order_id, version) key makes a
 * concurrent append of the same version fail, which surfaces as a ConcurrencyError.
 */
export async function appendEvents(
  db: Kysely<Database>,
  orderId: string,
  expectedVersion: number,
  events: readonly OrderEvent[],
): Promise<RecordedEvent[]> {
  if (events.length === 0) return [];
  try {
    const rows = await db
      .insertInto("order_events")
      .values(
        events.map((event, index) => ({
          order_id: orderId,
          version: expectedVersion + index + 1,
          type: event.type,
          data: JSON.stringify(event.data),
        })),
      )
      .returning(["version", "occurred_at"])
      .execute();
    return events.map((event, index) => ({
      ...event,
      version: rows[index]?.version ?? expectedVersion + index + 1,
      occurredAt: rows[index]?.occurred_at ?? new Date(),
    }));
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConcurrencyError(`order ${orderId} moved past ${expectedVersion}`);
    throw error;
  }
}
