import type { EventActor } from "@qc/contracts";
import type { Kysely, QueryCreator, Selectable } from "kysely";
import type { EventCause, OrderEvent, RecordedEvent } from "../domain/order";
import { currentSchemaVersion, upcast } from "../domain/upcasters";
import type { Database, OrderEventsTable } from "./schema";

/** Another writer appended to the same order first; the caller reruns its unit of work. */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "23505";

/** An event as the store holds it: in today's shape, with its cause (null where it was not recorded). */
export type StoredEvent = RecordedEvent & {
  correlationId: string | null;
  causationId: string | null;
  actor: EventActor | null;
};

/** One order_events row as an event in today's shape: every read of the store goes through the upcasters. */
export function eventOf(row: Selectable<OrderEventsTable>): StoredEvent {
  return {
    type: row.type,
    data: upcast(row.type, row.schema_version, row.data),
    version: row.version,
    occurredAt: row.occurred_at,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    actor: row.actor_kind && row.actor_id ? { kind: row.actor_kind, id: row.actor_id } : null,
  } as StoredEvent;
}

/** An order's events after `afterVersion` (default: all) and up to the instant `until`, oldest first. */
export async function loadEvents(
  db: Kysely<Database>,
  orderId: string,
  range: { afterVersion?: number; until?: Date } = {},
): Promise<StoredEvent[]> {
  let select = db
    .selectFrom("order_events")
    .selectAll()
    .where("order_id", "=", orderId)
    .where("version", ">", range.afterVersion ?? 0);
  if (range.until) select = select.where("occurred_at", "<=", range.until);
  return (await select.orderBy("version").execute()).map(eventOf);
}

/**
 * Stamps the events of one step with their versions after `expectedVersion` and the step's instant: now, or
 * just after the order's last event if this clock is behind the clock that recorded it (another instance),
 * so occurred_at never goes back along an order's versions and an "as of" read can cut the stream at an
 * instant. Callers hold the order's lock.
 */
export function stampEvents(
  expectedVersion: number,
  events: readonly OrderEvent[],
  lastAt: Date | null,
): RecordedEvent[] {
  const at = new Date(Math.max(Date.now(), (lastAt?.getTime() ?? 0) + 1));
  return events.map((event, index) => ({ ...event, version: expectedVersion + index + 1, occurredAt: at }));
}

/** The order_events rows of stamped events with their cause. */
export const eventRows = (orderId: string, events: readonly RecordedEvent[], cause: EventCause) =>
  events.map((event) => ({
    order_id: orderId,
    version: event.version,
    type: event.type,
    data: JSON.stringify(event.data),
    occurred_at: event.occurredAt,
    schema_version: currentSchemaVersion(event.type),
    correlation_id: cause.correlationId,
    causation_id: cause.causationId,
    actor_kind: cause.actor.kind,
    actor_id: cause.actor.id,
  }));

export type EventRow = ReturnType<typeof eventRows>[number];

/** The insert of event rows, to run alone or as part of a step's one statement. */
export const insertEvents = (db: QueryCreator<Database>, rows: readonly EventRow[]) =>
  db.insertInto("order_events").values(rows);

/**
 * The error of a statement that appends events: the (order_id, version) key makes a concurrent append of the
 * same version fail, which surfaces as a ConcurrencyError.
 */
export const appendFailure =
  (orderId: string, expectedVersion: number) =>
  (error: unknown): unknown =>
    isUniqueViolation(error) ? new ConcurrencyError(`order ${orderId} moved past ${expectedVersion}`) : error;

/** Appends events after `expectedVersion` in a statement of their own (a step writes them with its snapshot). */
export async function appendEvents(
  db: Kysely<Database>,
  orderId: string,
  expectedVersion: number,
  events: readonly OrderEvent[],
  cause: EventCause,
): Promise<RecordedEvent[]> {
  const recorded = stampEvents(expectedVersion, events, null);
  if (recorded.length > 0)
    await insertEvents(db, eventRows(orderId, recorded, cause))
      .execute()
      .catch((error) => {
        throw appendFailure(orderId, expectedVersion)(error);
      });
  return recorded;
}
