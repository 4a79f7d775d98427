import { type Kysely, type QueryCreator, sql } from "kysely";
import { OneByOne } from "../../shared/consumer/one-by-one";
import { sendAhead } from "../../shared/db/pipeline";
import { prepared } from "../../shared/db/prepared";
import type { Database, IntentRow, IntentStatus } from "./schema";

export function findIntentByOrder(db: Kysely<Database>, orderId: string): Promise<IntentRow | undefined> {
  return db.selectFrom("payment_intents").selectAll().where("order_id", "=", orderId).executeTakeFirst();
}

type NewIntent = Pick<IntentRow, "payment_id" | "order_id" | "status"> & Partial<IntentRow>;

// Every AuthorizePayment runs it: built by Kysely once per shape (see prepared).
const intentUnlessRecorded = prepared((db: QueryCreator<Database>, insert: { intent: NewIntent }) =>
  db
    .insertInto("payment_intents")
    .values(insert.intent)
    .onConflict((oc) => oc.column("order_id").doNothing())
    .returningAll(),
);

const freshIntent = prepared((db: QueryCreator<Database>, insert: { intent: NewIntent }) =>
  db.insertInto("payment_intents").values(insert.intent),
);

/**
 * Records the intent of an order expected to have none, sent ahead (no round trip of its own): if the order
 * has one after all, the transaction fails with OneByOne, and its messages are handled again one by one, where
 * insertIntentUnlessRecorded finds it.
 */
export function insertFreshIntent(trx: Kysely<Database>, intent: NewIntent): Promise<void> {
  return sendAhead(trx, freshIntent(trx, { intent }), (error) =>
    (error as { code?: string }).code === "23505"
      ? new OneByOne(`order ${intent.order_id} has a payment intent already`)
      : error,
  );
}

/** Records an order's intent unless one is recorded already (then undefined): one statement, no lookup first. */
export async function insertIntentUnlessRecorded(
  db: Kysely<Database>,
  intent: NewIntent,
): Promise<IntentRow | undefined> {
  return (await db.executeQuery(intentUnlessRecorded(db, { intent }))).rows[0];
}

export async function insertIntent(
  db: Kysely<Database>,
  intent: Pick<IntentRow, "payment_id" | "order_id" | "status"> & Partial<IntentRow>,
): Promise<IntentRow> {
  return db.insertInto("payment_intents").values(intent).returningAll().executeTakeFirstOrThrow();
}

/** Moves an intent to a status; a capture also records the amount actually taken. */
export async function setIntentStatus(
  db: Kysely<Database>,
  paymentId: string,
  status: IntentStatus,
  amountMinor?: number,
): Promise<void> {
  await db
    .updateTable("payment_intents")
    .set({
      status,
      updated_at: sql`now()`,
      ...(amountMinor === undefined ? {} : { amount_minor: amountMinor }),
    })
    .where("payment_id", "=", paymentId)
    .execute();
}

/** Records the capture of an intent; false when it was already captured (the primary key says so). */
export async function insertCapture(
  db: Kysely<Database>,
  capture: { paymentId: string; amountMinor: number; currency: string; providerReference: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto("payment_captures")
    .values({
      payment_id: capture.paymentId,
      amount_minor: capture.amountMinor,
      currency: capture.currency,
      provider_reference: capture.providerReference,
    })
    .onConflict((oc) => oc.column("payment_id").doNothing())
    .returning("payment_id")
    .executeTakeFirst();
  return inserted !== undefined;
}
