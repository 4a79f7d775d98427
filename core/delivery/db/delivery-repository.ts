import { type Kysely, type QueryCreator, sql } from "kysely";
import { executeEach, sendAhead } from "../../shared/db/pipeline";
import { prepared } from "../../shared/db/prepared";
import type { DeliveryState } from "../domain/transitions";
import type { Database, DeliveriesTable, DeliveryRow, RiderRow } from "./schema";

/** What a step needs to continue the delivery's checkout trace, read without locking the delivery. */
export type DeliveryTrace = Pick<DeliveryRow, "order_id" | "delivery_id" | "status" | "traceparent">;
export const findDeliveryTrace = (
  db: Kysely<Database>,
  orderId: string,
): Promise<DeliveryTrace | undefined> =>
  db
    .selectFrom("deliveries")
    .select(["order_id", "delivery_id", "status", "traceparent"])
    .where("order_id", "=", orderId)
    .executeTakeFirst();

// The statements of every checkout's CreateDelivery, built by Kysely once per shape (see prepared).
const lockedDelivery = prepared((db: QueryCreator<Database>, key: { orderId: string }) =>
  db.selectFrom("deliveries").selectAll().where("order_id", "=", key.orderId).forUpdate(),
);

type NewDelivery = Omit<DeliveriesTable, "created_at" | "updated_at" | "traceparent"> & {
  traceparent?: string | null;
};
const deliveryInsert = prepared((db: QueryCreator<Database>, insert: { delivery: NewDelivery }) =>
  db.insertInto("deliveries").values(insert.delivery),
);

export async function findDelivery(db: Kysely<Database>, orderId: string): Promise<DeliveryRow | undefined> {
  return (await db.executeQuery(lockedDelivery(db, { orderId }))).rows[0];
}

/**
 * Writes a new delivery. Its reply is built from the values written, so nothing reads the row back: in a
 * transaction the insert leaves with the next statement (see sendAhead), one round trip fewer per checkout.
 */
export function insertDelivery(db: Kysely<Database>, delivery: NewDelivery): Promise<void> {
  return sendAhead(db, deliveryInsert(db, { delivery }));
}

export function updateDelivery(
  db: Kysely<Database>,
  deliveryId: string,
  change: { status: DeliveryState; rider_id?: string; eta_minutes?: number },
): Promise<DeliveryRow> {
  return db
    .updateTable("deliveries")
    .set({ ...change, updated_at: sql`now()` })
    .where("delivery_id", "=", deliveryId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A point's place on the unit sphere, as the index `riders_free_nearest` holds each free rider's (migration
 * 20270501000000): the cube distance between two such points is their chord, which orders them as their
 * great-circle distance does.
 */
const onSphere = (lat: unknown, lng: unknown) =>
  sql`cube(array[cos(radians(${lat})) * cos(radians(${lng})), cos(radians(${lat})) * sin(radians(${lng})), sin(radians(${lat}))])`;
const riderPosition = onSphere(sql.ref("lat"), sql.ref("lng"));

/**
 * Exported for its test, which asks Postgres how it runs it. With `orderId`, no rider is taken when that order
 * has a delivery already (a repeated CreateDelivery), so a fresh order needs no look-up first.
 */
export const nearestFreeRider = prepared(
  (db: QueryCreator<Database>, near: { storeId: string; lat: number; lng: number; orderId?: string }) =>
    db
      .updateTable("riders")
      .set({ status: "BUSY" })
      .where("rider_id", "=", (eb) =>
        eb
          .selectFrom("riders")
          .select("rider_id")
          .where("store_id", "=", near.storeId)
          // Literals, not parameters: a generic plan of the prepared statement proves the index's predicate.
          .where("status", "=", sql.lit("FREE"))
          .where("active", "=", sql.lit(true))
          // The index hands riders over nearest first, so the lock stops at the first one nobody else holds.
          .orderBy(sql`${riderPosition} <-> ${onSphere(near.lat, near.lng)}`)
          // A literal too: as a parameter, the generic plan cannot see that one row is wanted, costs more
          // than a custom one, and Postgres plans the statement again at every take.
          .limit(sql.lit(1))
          .forUpdate()
          .skipLocked(),
      )
      .$if(near.orderId !== undefined, (update) =>
        update.where(({ exists, not, selectFrom }) =>
          not(
            exists(
              selectFrom("deliveries")
                .select("order_id")
                .where("order_id", "=", near.orderId ?? ""),
            ),
          ),
        ),
      )
      .returningAll(),
);

/**
 * Takes the store's free rider nearest to a point (now BUSY); riders another transaction is assigning are
 * skipped rather than waited for, so two deliveries never get the same rider. With `forOrder`, none is taken
 * when that order has a delivery already.
 */
export async function takeNearestFreeRider(
  db: Kysely<Database>,
  storeId: string,
  near: { lat: number; lng: number },
  forOrder?: string,
): Promise<RiderRow | undefined> {
  const taking = { storeId, lat: near.lat, lng: near.lng, ...(forOrder ? { orderId: forOrder } : {}) };
  return (await db.executeQuery(nearestFreeRider(db, taking))).rows[0];
}

/**
 * takeNearestFreeRider for several fresh orders in one round trip (see executeEach): taken one after another in
 * the order given, as separate calls would, so no two get the same rider. Each order's rider, if one was free.
 */
export async function takeNearestFreeRiders(
  trx: Kysely<Database>,
  takes: readonly { storeId: string; near: { lat: number; lng: number }; orderId: string }[],
): Promise<(RiderRow | undefined)[]> {
  const answers = await executeEach(
    trx,
    takes.map(({ storeId, near, orderId }) =>
      nearestFreeRider(trx, { storeId, lat: near.lat, lng: near.lng, orderId }),
    ),
  );
  return answers.map(({ rows }) => rows[0]);
}

export async function setRider(
  db: Kysely<Database>,
  riderId: string,
  change: { status: "FREE" | "BUSY"; lat?: number; lng?: number },
): Promise<void> {
  await db.updateTable("riders").set(change).where("rider_id", "=", riderId).execute();
}

/** Deliveries waiting for a rider, oldest first, locked; another assigner's rows are skipped. */
export function claimWaiting(db: Kysely<Database>, limit: number, storeId?: string): Promise<DeliveryRow[]> {
  let query = db.selectFrom("deliveries").selectAll().where("status", "=", "PENDING_RIDER");
  if (storeId) query = query.where("store_id", "=", storeId);
  return query.orderBy("created_at").limit(limit).forUpdate().skipLocked().execute();
}
