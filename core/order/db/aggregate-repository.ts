import { type Kysely, type QueryCreator, sql } from "kysely";
import { sendAhead } from "../../shared/db/pipeline";
import { prepared } from "../../shared/db/prepared";
import {
  type EventCause,
  evolve,
  fromSnapshot,
  type OrderEvent,
  type OrderState,
  type PlacedOrder,
  replay,
  toSnapshot,
} from "../domain/order";
import type { SagaState } from "../domain/saga";
import {
  appendFailure,
  type EventRow,
  eventRows,
  insertEvents,
  loadEvents,
  stampEvents,
} from "./event-store";
import { projectionRows, withProjectionRows } from "./projections";
import type { Database, SagaData } from "./schema";
import { snapshotIfDue } from "./snapshots";

/** The order aggregate as one step sees it: the folded order, its saga and what the saga's commands need. */
export interface OrderAggregate {
  orderId: string;
  order: OrderState;
  saga: SagaState;
  data: SagaData;
}

/**
 * What a step changes: the saga's new state, the events it records and their cause, and when the saga next
 * times out.
 */
export interface StepChange {
  saga: SagaState;
  events: readonly OrderEvent[];
  cause: EventCause;
  deadlineAt: Date | null;
}

const row = (saga: SagaState, order: OrderState, deadlineAt: Date | null) => ({
  step: saga.outstanding.join("+"),
  status: saga.status,
  deadline_at: deadlineAt,
  state: JSON.stringify(saga),
  order_state: JSON.stringify(toSnapshot(order)),
  version: order.version,
});

type SagaColumns = ReturnType<typeof row>;

/** What a statement that records events writes: the event rows and the order's new projection rows. */
interface Recorded {
  events: EventRow[];
  projections: ReturnType<typeof projectionRows>;
}

/** A statement that first appends the events and upserts the projections, as CTEs. */
const recording = (db: QueryCreator<Database>, recorded: Recorded) =>
  withProjectionRows(
    db.with("events", (db) =>
      insertEvents(db, recorded.events).returning("version"),
    ) as unknown as QueryCreator<Database>,
    recorded.projections,
  );

// The statements of every order's steps, built by Kysely once per shape (see prepared).
const creation = prepared(
  (
    db: QueryCreator<Database>,
    created: Recorded & { saga: SagaColumns & { order_id: string; data: string } },
  ) => recording(db, created).insertInto("sagas").values(created.saga),
);
const sagaUpdate = prepared(
  (db: QueryCreator<Database>, step: { orderId: string; saga: SagaColumns & { updated_at: Date } }) =>
    db.updateTable("sagas").set(step.saga).where("order_id", "=", step.orderId),
);
const recordingStep = prepared(
  (
    db: QueryCreator<Database>,
    step: Recorded & { orderId: string; saga: SagaColumns & { updated_at: Date } },
  ) => recording(db, step).updateTable("sagas").set(step.saga).where("order_id", "=", step.orderId),
);
const lock = prepared((db: QueryCreator<Database>, key: { orderId: string }) =>
  selectAggregate(db).where("order_id", "=", key.orderId).forUpdate(),
);
const lockEvery = prepared((db: QueryCreator<Database>, keys: { orderIds: string[] }) =>
  selectAggregate(db).where("order_id", "in", keys.orderIds).orderBy("order_id").forUpdate(),
);

// The orders a transaction locked together (lockAggregates), each handed to the first lockAggregate of it.
const lockedTogether = new WeakMap<Kysely<Database>, Map<string, OrderAggregate>>();

/**
 * A new order: its OrderPlaced event, its snapshot row with the fresh saga, and its projection, in one
 * statement.
 */
export async function createAggregate(
  db: Kysely<Database>,
  orderId: string,
  placed: PlacedOrder,
  saga: SagaState,
  data: SagaData,
  deadlineAt: Date | null,
  cause: EventCause,
): Promise<OrderState> {
  const [event] = stampEvents(0, [{ type: "OrderPlaced", data: placed }], null);
  if (!event) throw new Error(`order ${orderId}: OrderPlaced was not stamped`);
  const order = evolve(orderId, null, event);
  // Nothing reads its answer: in a transaction it goes out with the next statement (see sendAhead).
  await sendAhead(
    db,
    creation(db, {
      events: eventRows(orderId, [event], cause),
      projections: projectionRows(order),
      saga: { order_id: orderId, data: JSON.stringify(data), ...row(saga, order, deadlineAt) },
    }),
    appendFailure(orderId, 0),
  );
  return order;
}

const selectAggregate = (db: QueryCreator<Database>) =>
  db.selectFrom("sagas").select(["order_id", "state", "data", "order_state"]);

const toAggregate = (found: {
  order_id: string;
  state: SagaState;
  data: SagaData;
  order_state: Parameters<typeof fromSnapshot>[0];
}): OrderAggregate => ({
  orderId: found.order_id,
  saga: found.state,
  data: found.data,
  order: fromSnapshot(found.order_state),
});

/**
 * Loads and locks one order for the rest of the transaction, so its inputs are applied one at a time. An order
 * the transaction locked with others (lockAggregates) is handed over as it was locked, the first time only: a
 * later input of the same order reads the row again, as the earlier one's step changed it.
 */
export async function lockAggregate(db: Kysely<Database>, orderId: string): Promise<OrderAggregate | null> {
  const together = lockedTogether.get(db);
  const locked = together?.get(orderId);
  if (locked) {
    together?.delete(orderId);
    return locked;
  }
  const [found] = (await db.executeQuery(lock(db, { orderId }))).rows;
  return found ? toAggregate(found) : null;
}

/**
 * Locks the orders a consumed batch is about to step, in one statement instead of one round trip per message,
 * for their steps to take through lockAggregate. Rows are locked in order_id order, so two batches locking
 * overlapping orders queue instead of deadlocking. One order alone is left to its step's own lock (the same
 * one round trip).
 */
export async function lockAggregates(db: Kysely<Database>, orderIds: readonly string[]): Promise<void> {
  const unique = [...new Set(orderIds)];
  if (unique.length < 2) return;
  const { rows } = await db.executeQuery(lockEvery(db, { orderIds: unique }));
  lockedTogether.set(db, new Map(rows.map((found) => [found.order_id, toAggregate(found)])));
}

/**
 * Claims one order whose saga deadline has passed, locked for this transaction; orders another sweeper holds
 * are skipped, so several order instances can sweep at once.
 */
export async function claimOverdue(db: Kysely<Database>): Promise<OrderAggregate | null> {
  const found = await selectAggregate(db)
    .where("deadline_at", "<=", sql<Date>`now()`)
    .orderBy("deadline_at")
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return found ? toAggregate(found) : null;
}

/**
 * Records one step of a locked order in one statement: appends its events after the snapshot's version (a
 * concurrent writer of the same version fails with a ConcurrencyError), saves the snapshot and the saga, and
 * updates the projections; then keeps a snapshot for "as of" reads every `snapshotEvery` events. Returns the
 * order's new state.
 */
export async function saveStep(
  db: Kysely<Database>,
  aggregate: OrderAggregate,
  change: StepChange,
  snapshotEvery: number,
): Promise<OrderState> {
  const appended = stampEvents(aggregate.order.version, change.events, aggregate.order.updatedAt);
  const order = appended.reduce((state, event) => evolve(aggregate.orderId, state, event), aggregate.order);
  const saga = { ...row(change.saga, order, change.deadlineAt), updated_at: new Date() };
  // Nothing reads the answer: in a transaction the step goes out with its next statement (see sendAhead).
  if (appended.length === 0) {
    await sendAhead(db, sagaUpdate(db, { orderId: aggregate.orderId, saga }));
    return order;
  }
  await sendAhead(
    db,
    recordingStep(db, {
      orderId: aggregate.orderId,
      saga,
      events: eventRows(aggregate.orderId, appended, change.cause),
      projections: projectionRows(order),
    }),
    appendFailure(aggregate.orderId, aggregate.order.version),
  );
  await snapshotIfDue(db, order, aggregate.order.version, snapshotEvery);
  return order;
}

/** The order's current state from its snapshot (unlocked, for reads); null for an unknown order. */
export async function loadOrder(db: Kysely<Database>, orderId: string): Promise<OrderState | null> {
  const found = await db
    .selectFrom("sagas")
    .select("order_state")
    .where("order_id", "=", orderId)
    .executeTakeFirst();
  if (found) return fromSnapshot(found.order_state);
  const events = await loadEvents(db, orderId);
  return events.length === 0 ? null : replay(orderId, events);
}

/**
 * Pushes pending saga deadlines (every order's, or one order's) to at least `graceMs` from now: after an
 * outage of our own infrastructure, or while a step's participant is down, the steps it delayed get their
 * time again. Several instances doing it only lengthen it.
 */
export async function extendDeadlines(
  db: Kysely<Database>,
  graceMs: number,
  orderId?: string,
): Promise<number> {
  let update = db
    .updateTable("sagas")
    .set({ deadline_at: sql<Date>`greatest(deadline_at, now() + ${graceMs} * interval '1 millisecond')` })
    .where("deadline_at", "is not", null);
  if (orderId) update = update.where("order_id", "=", orderId);
  return Number((await update.executeTakeFirst()).numUpdatedRows);
}
