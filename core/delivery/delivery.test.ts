import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Kysely } from "kysely";
import { awaitOutbox, outboxOf, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import type { Database } from "./db/schema";
import { deliveryService } from "./main";
import { announcedStore } from "./testing/announced-store";
import { confirmedOrder } from "./testing/confirmed-order";
import { packOrder } from "./testing/pack-order";

// A fresh consumer group joins the shared broker first, which can take seconds on a busy machine.
setDefaultTimeout(30_000);

const DEADLINE_MS = 2_500;
const admin = { userId: crypto.randomUUID(), roles: ["admin" as const] };
const address = { line1: "12 MG Road", lat: 12.92, lng: 77.6 };

describe("delivery: riders, assignment and status", () => {
  let env: TestEnvironment;
  let delivery: TestService;
  let db: Kysely<Database>;

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_saga_participants",
      env: { DELIVERY_ASSIGN_DEADLINE_MS: String(DEADLINE_MS), DELIVERY_ASSIGN_RETRY_MS: "100" },
    });
    delivery = await env.start(deliveryService);
    db = env.db<Database>("delivery");
  });
  afterAll(() => env.stop());

  /** A store the catalog announced, as the delivery service learns it. */
  const openStore = () => announcedStore(delivery, db, { lat: 12.9, lng: 77.6 });
  const addRider = async (storeId: string, location?: { lat: number; lng: number }) => {
    const userId = crypto.randomUUID();
    const response = await delivery.call("POST", `/v1/admin/stores/${storeId}/riders`, {
      body: { name: "Ravi", userId, ...(location ? { location } : {}) },
      user: admin,
    });
    expect(response.status).toBe(201);
    const { riderId } = (await response.json()) as { riderId: string };
    return { riderId, userId };
  };
  const order = async (storeId: string, orderId: string = crypto.randomUUID()) => {
    await publish(delivery, "CreateDelivery", { orderId, storeId, address });
    return orderId;
  };
  /** An order placed and confirmed (its pick task queued) with a rider assigned: packed unless told not to. */
  const assignedOrder = async (storeId: string, { packed = true } = {}) => {
    const orderId = await order(storeId, (await confirmedOrder(delivery, db, storeId)).orderId);
    await awaitOutbox(db, orderId, "DeliveryCreated");
    if (packed) await packOrder(delivery.call, db, orderId);
    return orderId;
  };
  const report = (orderId: string, userId: string, status: string, roles = ["rider" as const]) =>
    delivery.call("POST", `/v1/deliveries/${orderId}/status`, { body: { status }, user: { userId, roles } });
  const riderStatus = async (riderId: string) =>
    (await db.selectFrom("riders").select("status").where("rider_id", "=", riderId).executeTakeFirstOrThrow())
      .status;

  it("assigns the nearest free rider of the store and estimates the arrival", async () => {
    const storeId = await openStore();
    await addRider(storeId, { lat: 12.95, lng: 77.6 });
    const near = await addRider(storeId, { lat: 12.901, lng: 77.6 });
    const orderId = await order(storeId);
    const [created] = await awaitOutbox(db, orderId, "DeliveryCreated");
    expect(created?.data).toMatchObject({ orderId, storeId, riderId: near.riderId, etaMinutes: 12 });
    expect(await riderStatus(near.riderId)).toBe("BUSY");
  });

  it("applies a store's edit (StoreUpserted) to the next delivery of the store", async () => {
    const storeId = await openStore();
    await addRider(storeId);
    await addRider(storeId);
    const first = await order(storeId);
    await awaitOutbox(db, first, "DeliveryCreated");
    // The address is 2.2 km from the store: inside 5 km, outside the store's new 1 km.
    await publish(delivery, "StoreUpserted", {
      storeId,
      name: "Koramangala",
      location: { lat: 12.9, lng: 77.6 },
      serviceRadiusMeters: 1_000,
      active: true,
    });
    const radius = async () =>
      (
        await db
          .selectFrom("stores")
          .select("service_radius_meters")
          .where("store_id", "=", storeId)
          .executeTakeFirst()
      )?.service_radius_meters;
    for (let i = 0; i < 200 && (await radius()) !== 1_000; i++) await Bun.sleep(50);
    const second = await order(storeId);
    const [failed] = await awaitOutbox(db, second, "DeliveryFailed");
    expect(failed?.data).toMatchObject({ orderId: second, reason: "OUT_OF_RANGE" });
  });

  it("lets only the assigned rider move the order one step at a time", async () => {
    const storeId = await openStore();
    const rider = await addRider(storeId);
    const orderId = await assignedOrder(storeId);

    expect((await report(orderId, crypto.randomUUID(), "PICKED_UP")).status).toBe(403);
    expect((await report(orderId, rider.userId, "PICKED_UP", ["shopper" as never])).status).toBe(403);
    expect((await report(orderId, rider.userId, "DELIVERED")).status).toBe(409);
    for (const status of ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"]) {
      const response = await report(orderId, rider.userId, status);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ orderId, riderId: rider.riderId, status });
    }
    expect((await report(orderId, rider.userId, "PICKED_UP")).status).toBe(409);
    const changes = await outboxOf(db, orderId, "DeliveryStatusChanged");
    expect(changes.map((m) => (m.data as { status: string }).status)).toEqual([
      "PICKED_UP",
      "OUT_FOR_DELIVERY",
      "DELIVERED",
    ]);
    expect(await riderStatus(rider.riderId)).toBe("FREE");
  });

  it("lets the rider pick up only once the store has packed the order", async () => {
    const storeId = await openStore();
    const rider = await addRider(storeId);
    // No pick task at all (picking has not seen the order yet) is not a packed bag either.
    const unseen = await order(storeId);
    await awaitOutbox(db, unseen, "DeliveryCreated");
    expect((await report(unseen, rider.userId, "PICKED_UP")).status).toBe(409);
    await publish(delivery, "CancelDelivery", { orderId: unseen, storeId });
    await awaitOutbox(db, unseen, "DeliveryCancelled");

    const orderId = await assignedOrder(storeId, { packed: false });
    const early = await report(orderId, rider.userId, "PICKED_UP");
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ type: "urn:quickcommerce:problem:not_packed" });
    expect(await outboxOf(db, orderId, "DeliveryStatusChanged")).toEqual([]);

    await packOrder(delivery.call, db, orderId);
    expect((await report(orderId, rider.userId, "PICKED_UP")).status).toBe(200);
  });

  it("waits for a rider until the deadline, then fails with NO_RIDER", async () => {
    const storeId = await openStore();
    const started = Date.now();
    const orderId = await order(storeId);
    const [failed] = await awaitOutbox(db, orderId, "DeliveryFailed", { timeoutMs: DEADLINE_MS + 10_000 });
    expect(failed?.data).toEqual({ orderId, storeId, reason: "NO_RIDER" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEADLINE_MS);
    expect(await outboxOf(db, orderId, "DeliveryCreated")).toHaveLength(0);
  });

  it("gives a waiting order to a rider who frees up in time", async () => {
    const storeId = await openStore();
    const rider = await addRider(storeId);
    const first = await assignedOrder(storeId);
    const second = await order(storeId);
    await Bun.sleep(200);
    expect(await outboxOf(db, second, "DeliveryCreated")).toHaveLength(0);
    for (const status of ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"])
      await report(first, rider.userId, status);
    const [created] = await awaitOutbox(db, second, "DeliveryCreated", { timeoutMs: DEADLINE_MS });
    expect(created?.data).toMatchObject({ riderId: rider.riderId });
  });

  it("frees the rider when a delivery is cancelled, and a cancel that came first blocks the late create", async () => {
    const storeId = await openStore();
    const rider = await addRider(storeId);
    const orderId = await order(storeId);
    await awaitOutbox(db, orderId, "DeliveryCreated");
    await publish(delivery, "CancelDelivery", { orderId, storeId });
    await awaitOutbox(db, orderId, "DeliveryCancelled");
    expect(await riderStatus(rider.riderId)).toBe("FREE");

    const early = crypto.randomUUID();
    await publish(delivery, "CancelDelivery", { orderId: early, storeId });
    await publish(delivery, "CreateDelivery", { orderId: early, storeId, address });
    await awaitOutbox(db, early, "DeliveryCancelled", { count: 2 });
    expect(await outboxOf(db, early, "DeliveryCreated")).toHaveLength(0);
    expect(await riderStatus(rider.riderId)).toBe("FREE");
  });

  it("refuses to cancel a delivery the rider has already picked up, and keeps the rider on it", async () => {
    const storeId = await openStore();
    const rider = await addRider(storeId);
    const orderId = await assignedOrder(storeId);
    await report(orderId, rider.userId, "PICKED_UP");
    await publish(delivery, "CancelDelivery", { orderId, storeId });
    const [refused] = await awaitOutbox(db, orderId, "DeliveryCancelRefused");
    expect(refused?.data).toMatchObject({ orderId, status: "PICKED_UP" });
    expect(await outboxOf(db, orderId, "DeliveryCancelled")).toHaveLength(0);
    expect(await riderStatus(rider.riderId)).not.toBe("FREE");
  });

  it("lets only admins add riders, and answers 503 with Retry-After when catalog cannot confirm a store it has not heard of", async () => {
    const storeId = await openStore();
    const asShopper = await delivery.call("POST", `/v1/admin/stores/${storeId}/riders`, {
      body: { name: "X" },
      user: { userId: crypto.randomUUID(), roles: ["shopper"] },
    });
    expect(asShopper.status).toBe(403);
    // No catalog runs beside this test's delivery: a store it never heard of cannot be confirmed.
    const unknown = await delivery.call("POST", `/v1/admin/stores/${crypto.randomUUID()}/riders`, {
      body: { name: "X" },
      user: admin,
    });
    expect(unknown.status).toBe(503);
    expect(unknown.headers.get("retry-after")).toBe("2");
    expect(((await unknown.json()) as { type: string }).type).toContain("store_not_known_yet");
  });

  it("lists a store's riders to admins only", async () => {
    const storeId = await openStore();
    const { riderId } = await addRider(storeId);
    const listed = await delivery.call("GET", `/v1/admin/stores/${storeId}/riders`, { user: admin });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([expect.objectContaining({ riderId, storeId, active: true })]);
    const asShopper = await delivery.call("GET", `/v1/admin/stores/${storeId}/riders`, {
      user: { userId: crypto.randomUUID(), roles: ["shopper"] },
    });
    expect(asShopper.status).toBe(403);
  });
});
