import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import type { Kysely } from "kysely";
import { authService } from "../auth/main";
import { grpcTarget } from "../shared/runtime/context";
import { awaitOutbox, outboxOf, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import type { Database } from "./db/schema";
import { deliveryService } from "./main";
import { announcedStore } from "./testing/announced-store";
import { trackRider } from "./testing/rider-stream";

setDefaultTimeout(30_000);

const admin = { userId: crypto.randomUUID(), roles: ["admin" as const] };
const store = { lat: 12.9, lng: 77.6 };
const address = { line1: "12 MG Road", lat: 12.92, lng: 77.6 };
const at = () => new Date().toISOString();

describe("rider tracking over a bi-directional gRPC stream", () => {
  let env: TestEnvironment;
  let auth: TestService;
  let delivery: TestService;
  let db: Kysely<Database>;
  let storeId: string;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_rider_tracking" });
    auth = await env.start(authService);
    delivery = await env.start(deliveryService);
    db = env.db<Database>("delivery");
    storeId = await announcedStore(delivery, db, store);
  });
  afterAll(() => env.stop());

  /** A user of auth with these roles, and the access token auth issues them. */
  const userWith = async (roles: string[]) => {
    const email = `r-${crypto.randomUUID()}@example.com`;
    const password = "correct-horse-1";
    const registered = await auth.call("POST", "/v1/auth/register", {
      body: { email, password, name: "Ravi" },
    });
    const { userId } = (await registered.json()) as { userId: string };
    const set = await auth.call("PUT", `/v1/admin/users/${userId}/roles`, {
      body: { roles, storeIds: [storeId] },
      user: admin,
    });
    expect(set.status).toBe(200);
    const login = await auth.call("POST", "/v1/auth/login", { body: { email, password } });
    const { accessToken } = (await login.json()) as { accessToken: string };
    return { userId, accessToken };
  };

  /** A rider of the store with a delivery assigned to them (the only free rider of the store). */
  const riderWithDelivery = async () => {
    const rider = await userWith(["rider"]);
    const added = await delivery.call("POST", `/v1/admin/stores/${storeId}/riders`, {
      body: { name: "Ravi", userId: rider.userId, location: store },
      user: admin,
    });
    expect(added.status).toBe(201);
    const orderId = crypto.randomUUID();
    await publish(delivery, "CreateDelivery", { orderId, storeId, address });
    await awaitOutbox(db, orderId, "DeliveryCreated");
    return { ...rider, orderId };
  };

  /** Opens the stream as the holder of `token`, sends the positions a tick apart, and collects the answers. */
  const track = (token: string | null, positions: object[], gapMs = 0) =>
    trackRider(grpcTarget(env.config, "delivery"), token, positions, gapMs);

  it("answers each position of the rider's own delivery with the recomputed ETA and publishes it", async () => {
    const rider = await riderWithDelivery();
    const { updates, status } = await track(
      rider.accessToken,
      [
        { orderId: rider.orderId, lat: 12.95, lng: 77.6, at: at() },
        { orderId: rider.orderId, lat: 12.901, lng: 77.6, at: at() },
      ],
      1_100,
    );
    expect(status).toBe(grpc.status.OK);
    expect(updates.map((update) => update.notice)).toEqual([null, null]);
    expect(updates[0]?.instruction).toBe("Ride to the store");
    // Farther from the store first, then at the store: the ETA comes down.
    expect(updates[0]?.etaMinutes).toBeGreaterThan(updates[1]?.etaMinutes ?? 0);
    const published = await outboxOf(db, rider.orderId, "RiderPositionChanged");
    expect(published.map((message) => message.data)).toMatchObject([
      { orderId: rider.orderId, position: { lat: 12.95, lng: 77.6 }, etaMinutes: updates[0]?.etaMinutes },
      { orderId: rider.orderId, position: { lat: 12.901, lng: 77.6 }, etaMinutes: updates[1]?.etaMinutes },
    ]);
    const row = await db
      .selectFrom("deliveries")
      .select("eta_minutes")
      .where("order_id", "=", rider.orderId)
      .executeTakeFirstOrThrow();
    expect(row.eta_minutes).toBe(updates[1]?.etaMinutes ?? -1);
  });

  it("refuses positions for someone else's delivery", async () => {
    const owner = await riderWithDelivery();
    const other = await userWith(["rider"]);
    const { updates } = await track(other.accessToken, [
      { orderId: owner.orderId, lat: 12.91, lng: 77.6, at: at() },
    ]);
    expect(updates).toEqual([
      {
        orderId: owner.orderId,
        etaMinutes: null,
        instruction: "Not your delivery",
        notice: "not_your_delivery",
      },
    ]);
    expect(await outboxOf(db, owner.orderId, "RiderPositionChanged")).toEqual([]);
  });

  it("keeps one position a second of a flood and tells the rider the rest were dropped", async () => {
    const rider = await riderWithDelivery();
    const flood = Array.from({ length: 10 }, (_, i) => ({
      orderId: rider.orderId,
      lat: 12.9 + i / 1000,
      lng: 77.6,
      at: at(),
    }));
    const { updates } = await track(rider.accessToken, flood);
    expect(updates.filter((update) => update.notice === null)).toHaveLength(1);
    expect(updates.filter((update) => update.notice === "rate_limited")).toHaveLength(9);
    expect(await outboxOf(db, rider.orderId, "RiderPositionChanged")).toHaveLength(1);
  });

  it("refuses coordinates out of range or not a number", async () => {
    const rider = await riderWithDelivery();
    const { updates } = await track(rider.accessToken, [
      { orderId: rider.orderId, lat: Number.NaN, lng: 77.6, at: at() },
      { orderId: rider.orderId, lat: 12.9, lng: 181, at: at() },
    ]);
    expect(updates.map((update) => update.notice)).toEqual(["invalid_position", "invalid_position"]);
    expect(await outboxOf(db, rider.orderId, "RiderPositionChanged")).toEqual([]);
  });

  it("refuses a stream without a rider's token from auth", async () => {
    const position = [{ orderId: crypto.randomUUID(), lat: 12.9, lng: 77.6, at: at() }];
    expect((await track(null, position)).status).toBe(grpc.status.UNAUTHENTICATED);
    expect((await track("forged.token.value", position)).status).toBe(grpc.status.UNAUTHENTICATED);
    const shopper = await userWith(["shopper"]);
    expect((await track(shopper.accessToken, position)).status).toBe(grpc.status.PERMISSION_DENIED);
  });
});
