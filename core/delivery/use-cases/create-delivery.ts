import type { AnyMessage, LatLng, MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { AheadOfTurn, firstOfTheirSubject } from "../../shared/consumer/ahead-of-turn";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import { currentTraceparent } from "../../shared/telemetry/tracing";
import {
  findDelivery,
  insertDelivery,
  takeNearestFreeRider,
  takeNearestFreeRiders,
} from "../db/delivery-repository";
import type { Database, RiderRow } from "../db/schema";
import type { StoreCache } from "../db/store-cache";
import { etaMinutes, serves } from "../domain/geo";
import { created, failed, replyTo, stateOf } from "../domain/messages";

/**
 * CreateDelivery: the order gets the nearest free rider of its store and an ETA (DeliveryCreated). With no
 * rider free it waits (PENDING_RIDER) until `assignWithinMs` has passed, then fails with NO_RIDER; an
 * address outside the store's radius fails at once. A repeat answers with the delivery's current state,
 * and a CancelDelivery that came first leaves a tombstone this answers DeliveryCancelled from. The rider is
 * taken before the delivery is written, so the row is inserted once in its final state.
 */
export async function createDelivery(
  trx: Kysely<Database>,
  command: MessageOf<"CreateDelivery">,
  assignWithinMs: number,
  stores: StoreCache,
): Promise<void> {
  const { orderId, storeId, address } = command.data;
  const meta = replyTo(command);
  const ahead = ridersAhead.take(trx, command.id);
  if (!ahead) await lockUntilCommit(trx, orderId);
  const store = await stores.find(trx, storeId);
  const inRange = store !== undefined && serves(store, address);
  // A fresh order in its store's radius, the common case, takes its rider in one round trip (or had it taken
  // ahead with its batch's): none is taken if the order has a delivery already, which is looked up only then
  // (or when no rider is free).
  const rider = ahead
    ? ahead.rider
    : inRange
      ? await takeNearestFreeRider(trx, storeId, store, orderId)
      : undefined;
  if (!rider) {
    const existing = await findDelivery(trx, orderId);
    if (existing) return enqueue(trx, ...stateOf(existing, meta));
  }

  const delivery = {
    delivery_id: Bun.randomUUIDv7(),
    order_id: orderId,
    store_id: storeId,
    address_line1: address.line1,
    lat: address.lat,
    lng: address.lng,
    assign_deadline: new Date(Date.now() + assignWithinMs),
    traceparent: currentTraceparent() ?? command.traceparent,
  };
  if (store && !inRange) {
    await insertDelivery(trx, { ...delivery, status: "FAILED", rider_id: null, eta_minutes: null });
    return enqueue(trx, failed(delivery, "OUT_OF_RANGE", meta));
  }
  // No store known yet, or no rider free: the delivery waits, and the assigner's next pass finds it a rider.
  if (!store || !rider) {
    await insertDelivery(trx, { ...delivery, status: "PENDING_RIDER", rider_id: null, eta_minutes: null });
    return;
  }
  const assigned = {
    ...delivery,
    status: "ASSIGNED" as const,
    rider_id: rider.rider_id,
    eta_minutes: etaMinutes(rider, store, address),
  };
  await insertDelivery(trx, assigned);
  await enqueue(trx, created(assigned, meta));
}

// Riders taken for a batch's fresh orders before their turn (takeRidersAhead), with each order's lock held.
const ridersAhead = new AheadOfTurn<{ rider: RiderRow | undefined }>();

/**
 * Takes the riders of a batch's CreateDelivery commands in one round trip, before the batch is applied (the
 * delivery group's beforeApply): each order's lock, then each order's nearest free rider, in the batch's order
 * (its orders' order, so two batches lock them alike). Each command's turn then takes its rider instead of
 * waiting for a take of its own. Only in a batch of nothing but CreateDelivery, and only the first of an order:
 * a cancel frees a rider, and a store's change moves it, before the turns after it, which must see that.
 */
export async function takeRidersAhead(
  trx: Kysely<Database>,
  messages: readonly AnyMessage[],
  stores: StoreCache,
): Promise<void> {
  if (messages.some((message) => message.type !== "CreateDelivery")) return;
  const takes: { command: MessageOf<"CreateDelivery">; storeId: string; near: LatLng; orderId: string }[] =
    [];
  for (const command of firstOfTheirSubject(messages, "CreateDelivery")) {
    const { orderId, storeId, address } = command.data;
    const store = await stores.find(trx, storeId);
    if (store && serves(store, address)) takes.push({ command, storeId, near: store, orderId });
  }
  if (takes.length < 2) return;
  for (const { orderId } of takes) await lockUntilCommit(trx, orderId);
  const riders = await takeNearestFreeRiders(trx, takes);
  ridersAhead.keep(trx, new Map(takes.map(({ command }, index) => [command.id, { rider: riders[index] }])));
}
