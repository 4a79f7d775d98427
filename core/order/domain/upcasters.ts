import type { OrderEvent } from "./order";

type EventType = OrderEvent["type"];
type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

// The saga's CREATE_DELIVERY step became ASSIGN_RIDER (20261202000100_order_snapshot renamed it in the saga's
// state, but events are never rewritten): a step name such as CREATE_DELIVERY_DONE or
// RESERVE_STOCK+CREATE_DELIVERY_TIMED_OUT, or a detail such as "CREATE_DELIVERY deadline passed". Events
// written after the rename but before schema versions were stored read as version 1 too: the rename leaves
// them as they are.
const renameCreateDelivery = (text: string) =>
  text.replace(/(^|[+ ,])CREATE_DELIVERY(?=$|[_+ ,])/g, "$1ASSIGN_RIDER");

/**
 * Upcasters by event type and the schema version they read: each turns that version's data into the next
 * version's. A type not listed has had one shape only. To change an event's shape: write the new shape,
 * add `[type]: { [old version]: old → new }` here, and the registry's versions move on by themselves.
 */
const UPCASTERS: Partial<Record<EventType, Record<number, Upcaster>>> = {
  StepRecorded: {
    1: (data) => ({ ...data, step: renameCreateDelivery(String(data.step)) }),
  },
  OrderRejected: {
    1: (data) => ({
      ...data,
      detail: typeof data.detail === "string" ? renameCreateDelivery(data.detail) : null,
    }),
  },
};

/** The schema version an event of `type` is written in today: one past its last upcaster. */
export function currentSchemaVersion(type: string): number {
  const steps = UPCASTERS[type as EventType];
  return steps ? Math.max(...Object.keys(steps).map(Number)) + 1 : 1;
}

/**
 * A stored event's data in today's shape: `schemaVersion` is the version it was written in (null for
 * events stored before versions were recorded: version 1). Every read of the event store goes through it.
 */
export function upcast(type: string, schemaVersion: number | null, data: unknown): unknown {
  const steps = UPCASTERS[type as EventType];
  let version = schemaVersion ?? 1;
  let current = data as Record<string, unknown>;
  for (let step = steps?.[version]; step; step = steps?.[version]) {
    current = step(current);
    version++;
  }
  return current;
}
