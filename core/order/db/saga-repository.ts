import { type Kysely, sql } from "kysely";
import type { SagaState } from "../domain/saga";
import type { Database, SagaData } from "./schema";

export interface SagaInstance {
  orderId: string;
  state: SagaState;
  data: SagaData;
  deadlineAt: Date | null;
}

const toInstance = (row: {
  order_id: string;
  state: SagaState;
  data: SagaData;
  deadline_at: Date | null;
}): SagaInstance => ({
  orderId: row.order_id,
  state: row.state,
  data: row.data,
  deadlineAt: row.deadline_at,
});

/** Persists a new saga instance. */
export async function insertSaga(db: Kysely<Database>, saga: SagaInstance): Promise<void> {
  await db
    .insertInto("sagas")
    .values({
      order_id: saga.orderId,
      step: saga.state.step,
      status: saga.state.status,
      attempt: saga.state.attempt,
      deadline_at: saga.deadlineAt,
      state: JSON.stringify(saga.state),
      data: JSON.stringify(saga.data),
    })
    .execute();
}

/** Loads and locks one saga for the rest of the transaction, so its replies are applied one at a time. */
export async function lockSaga(db: Kysely<Database>, orderId: string): Promise<SagaInstance | null> {
  const row = await db
    .selectFrom("sagas")
    .select(["order_id", "state", "data", "deadline_at"])
    .where("order_id", "=", orderId)
    .forUpdate()
    .executeTakeFirst();
  return row ? toInstance(row) : null;
}

/** Saves a saga's new state and the deadline of the step it now waits on (null once it waits on nothing). */
export async function saveSaga(
  db: Kysely<Database>,
  orderId: string,
  state: SagaState,
  deadlineAt: Date | null,
): Promise<void> {
  await db
    .updateTable("sagas")
    .set({
      step: state.step,
      status: state.status,
      attempt: state.attempt,
      deadline_at: deadlineAt,
      state: JSON.stringify(state),
      updated_at: new Date(),
    })
    .where("order_id", "=", orderId)
    .execute();
}

/**
 * Claims one saga whose deadline has passed, locked for this transaction; sagas another sweeper holds
 * are skipped, so several order instances can sweep at once.
 */
export async function claimOverdueSaga(db: Kysely<Database>): Promise<SagaInstance | null> {
  const row = await db
    .selectFrom("sagas")
    .select(["order_id", "state", "data", "deadline_at"])
    .where("status", "=", "RUNNING")
    .where("deadline_at", "<=", sql<Date>`now()`)
    .orderBy("deadline_at")
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row ? toInstance(row) : null;
}
