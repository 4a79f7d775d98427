import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type {
  AnyMessage,
  MessageOf,
  OrderAsOfView,
  OrderAuditTrail,
  OrderPage,
  OrderView,
  PlaceOrderBody,
} from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { transact } from "../shared/db/transaction";
import { awaitOutbox, outboxOf, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import { lockAggregate, lockAggregates, type OrderAggregate, saveStep } from "./db/aggregate-repository";
import { appendEvents, ConcurrencyError, loadEvents } from "./db/event-store";
import { PENDING } from "./db/idempotency-repository";
import type { Database } from "./db/schema";
import { orderService } from "./main";
import { DELIVERY_FEE_MINOR, startCheckoutStandIn, UNIT_PRICE_MINOR } from "./testing/checkout-standin";
import { replayProjection } from "./use-cases/replay-projection";

const storeId = crypto.randomUUID();
const address = { line1: "12 MG Road", lat: 12.97, lng: 77.59 };
const paymentIdOf = (messages: AnyMessage[]) =>
  (messages[0]?.data as { paymentId: string } | undefined)?.paymentId ?? "";
const bodyFor = (token = "tok_visa"): PlaceOrderBody => ({ storeId, address, payment: { token } });

describe("the order service", () => {
  let env: TestEnvironment;
  let order: TestService;
  let db: Kysely<Database>;
  let standIn: Awaited<ReturnType<typeof startCheckoutStandIn>>;

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_order",
      env: { ORDER_DEADLINE_AUTHORIZE_MS: "1500", ORDER_SWEEP_INTERVAL_MS: "100", ORDER_SNAPSHOT_EVERY: "3" },
    });
    standIn = await startCheckoutStandIn(env.config);
    order = await env.start(orderService);
    db = env.db<Database>("order");
  }, 30_000);
  afterAll(async () => {
    await env.stop();
    await standIn.stop();
  }, 30_000);

  const shopper = () => {
    const userId = crypto.randomUUID();
    standIn.setCart(userId, storeId, [
      { sku: "MILK-1L", quantity: 2 },
      { sku: "BREAD-400G", quantity: 1 },
    ]);
    return { userId, roles: ["shopper" as const] };
  };
  const place = (user: { userId: string; roles: "shopper"[] }, key: string, body: unknown = bodyFor()) =>
    order.call("POST", "/v1/orders", { user, body, headers: { "idempotency-key": key } });
  const placed = async (user: { userId: string; roles: "shopper"[] }, token = "tok_visa") => {
    const response = await place(user, crypto.randomUUID(), bodyFor(token));
    expect(response.status).toBe(202);
    return ((await response.json()) as { orderId: string }).orderId;
  };
  const view = async (orderId: string, user: { userId: string; roles: ("shopper" | "admin")[] }) =>
    (await (await order.call("GET", `/v1/orders/${orderId}`, { user })).json()) as OrderView;
  /** The order's view once its history records `step` (a reply that changes no status). */
  const awaitStep = async (orderId: string, user: Parameters<typeof view>[1], step: string) => {
    let shown = await view(orderId, user);
    for (let i = 0; i < 100 && !shown.history.some((entry) => entry.step === step); i++) {
      await Bun.sleep(100);
      shown = await view(orderId, user);
    }
    return shown;
  };
  const awaitStatus = async (orderId: string, status: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await db
        .selectFrom("order_views")
        .select("status")
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      if (row?.status === status) return;
      if (Date.now() > deadline) throw new Error(`order ${orderId} is ${row?.status}, not ${status}`);
      await Bun.sleep(50);
    }
  };
  const keysOf = async (userId: string) =>
    (await db.selectFrom("idempotency_keys").select("key").where("user_id", "=", userId).execute()).length;

  const totalOf = () => ({ amountMinor: 3 * UNIT_PRICE_MINOR + DELIVERY_FEE_MINOR, currency: "INR" });

  /** Plays the participants' replies up to CONFIRMED. */
  const confirm = async (orderId: string) => {
    const lines = [{ sku: "BREAD-400G", quantity: 1 }];
    await publish(order, "StockReserved", { orderId, storeId, lines, expiresAt: new Date().toISOString() });
    const payment = paymentIdOf(await awaitOutbox(db, orderId, "AuthorizePayment"));
    await publish(order, "PaymentAuthorized", { orderId, paymentId: payment, amount: totalOf() });
    await awaitOutbox(db, orderId, "CreateDelivery");
    const delivery = { deliveryId: crypto.randomUUID(), riderId: crypto.randomUUID() };
    await publish(order, "DeliveryCreated", { orderId, storeId, ...delivery, etaMinutes: 11 });
    await awaitStatus(orderId, "CONFIRMED");
    return { ...delivery, paymentId: payment };
  };

  describe("placing an order", () => {
    it("requires an Idempotency-Key header and names it", async () => {
      const user = shopper();
      const response = await order.call("POST", "/v1/orders", { user, body: bodyFor() });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await response.json()) as { errors: { path: string }[] };
      expect(problem.errors.map((error) => error.path).join()).toContain("idempotency-key");
      expect(await keysOf(user.userId)).toBe(0);
    });

    it("stores nothing for a body that fails validation", async () => {
      const user = shopper();
      const response = await place(user, "key-invalid-1", { storeId: "nope", address, payment: {} });
      expect(response.status).toBe(400);
      const problem = (await response.json()) as { errors: { path: string }[] };
      expect(problem.errors.map((error) => error.path)).toEqual(
        expect.arrayContaining(["storeId", "payment.token"]),
      );
      expect(await keysOf(user.userId)).toBe(0);
    });

    it("answers 422 for an empty cart and stores nothing", async () => {
      const user = shopper();
      standIn.setCart(user.userId, storeId, []);
      const response = await place(user, "key-empty-cart");
      expect(response.status).toBe(422);
      expect(((await response.json()) as { type: string }).type).toContain("empty_cart");
      expect(await keysOf(user.userId)).toBe(0);
    });

    it("prices the cart and writes order, saga, ReserveStock ∥ AuthorizePayment and OrderPlaced together", async () => {
      const orderId = await placed(shopper());
      const [reserve] = await outboxOf(db, orderId, "ReserveStock");
      expect(reserve?.data).toMatchObject({ orderId, storeId, lines: expect.any(Array) });
      const [authorize] = await outboxOf(db, orderId, "AuthorizePayment");
      expect(authorize?.data).toMatchObject({ orderId, amount: totalOf(), token: "tok_visa" });
      const [announced] = await outboxOf(db, orderId, "OrderPlaced");
      expect(announced?.data).toMatchObject({
        total: { amountMinor: 3 * UNIT_PRICE_MINOR + DELIVERY_FEE_MINOR, currency: "INR" },
      });
      const saga = await db
        .selectFrom("sagas")
        .selectAll()
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      expect(saga).toMatchObject({ step: "RESERVE_STOCK+AUTHORIZE_PAYMENT", status: "RUNNING", version: 1 });
      expect(saga?.deadline_at?.getTime()).toBeGreaterThan(Date.now());
    });

    it("answers a repeated key and body with the first response, and a reused key with 422", async () => {
      const user = shopper();
      const first = await place(user, "key-repeat-1");
      const again = await place(user, "key-repeat-1");
      expect(again.status).toBe(first.status);
      expect(await again.json()).toEqual(await first.json());
      const reused = await place(user, "key-repeat-1", bodyFor("tok_declined"));
      expect(reused.status).toBe(422);
      expect(((await reused.json()) as { type: string }).type).toContain("idempotency_key_reused");
      const orders = await db
        .selectFrom("order_views")
        .select("order_id")
        .where("user_id", "=", user.userId)
        .execute();
      expect(orders).toHaveLength(1);
    });

    it("stores a fresh key's answer in the order's own transaction, and answers its retry once the cart is gone", async () => {
      const user = shopper();
      const first = await place(user, "key-one-transaction");
      expect(first.status).toBe(202);
      const { orderId } = (await first.json()) as { orderId: string };
      // now() is the transaction's start: the key and the order share it only if one transaction wrote both.
      const written = await sql<{ key: Date; saga: Date }>`
        select (select created_at from idempotency_keys where user_id = ${user.userId}) as key,
               (select updated_at from sagas where order_id = ${orderId}) as saga`.execute(db);
      expect(written.rows[0]?.key).toBeInstanceOf(Date);
      expect(written.rows[0]?.key).toEqual(written.rows[0]?.saga as Date);
      // The order emptied the cart (as cart does on OrderPlaced): the retry is answered, not refused.
      standIn.setCart(user.userId, storeId, []);
      const again = await place(user, "key-one-transaction");
      expect(again.status).toBe(202);
      expect(await again.json()).toEqual({ orderId, status: "PENDING" });
    });

    it("takes over a key whose request died after claiming it, once the claim is 30 s old, with its order id", async () => {
      const user = shopper();
      expect((await place(user, "key-abandoned-0")).status).toBe(202);
      // The hash the route binds this body to, from the key of that completed request.
      const { request_hash } = await db
        .selectFrom("idempotency_keys")
        .select("request_hash")
        .where("user_id", "=", user.userId)
        .executeTakeFirstOrThrow();
      // What a request killed between claiming its key and placing its order leaves behind.
      const claimed = Bun.randomUUIDv7();
      await db
        .insertInto("idempotency_keys")
        .values({
          user_id: user.userId,
          key: "key-abandoned-1",
          request_hash,
          status_code: PENDING,
          response: JSON.stringify({ orderId: claimed }),
          created_at: new Date(Date.now() - 60_000),
          expires_at: new Date(Date.now() + 3_600_000),
        })
        .execute();
      const retried = await place(user, "key-abandoned-1");
      expect(retried.status).toBe(202);
      expect(((await retried.json()) as { orderId: string }).orderId).toBe(claimed);
    });

    it("creates one order for concurrent requests with the same key", async () => {
      const user = shopper();
      const responses = await Promise.all(Array.from({ length: 8 }, () => place(user, "key-concurrent-1")));
      const bodies = await Promise.all(responses.map((response) => response.json()));
      expect(responses.map((response) => response.status)).toEqual(Array(8).fill(202));
      expect(new Set(bodies.map((body) => (body as { orderId: string }).orderId)).size).toBe(1);
      const orders = await db
        .selectFrom("order_views")
        .select("order_id")
        .where("user_id", "=", user.userId)
        .execute();
      expect(orders).toHaveLength(1);
    });
  });

  describe("the saga over Kafka", () => {
    it("answers Prefer: wait with the order once it is confirmed (201), a replayed key at once, and 202 when the wait runs out", async () => {
      const user = shopper();
      const key = crypto.randomUUID();
      const waitFor = (seconds: number, idempotencyKey = key) =>
        order.call("POST", "/v1/orders", {
          user,
          body: bodyFor(),
          headers: { "idempotency-key": idempotencyKey, prefer: `wait=${seconds}` },
        });
      const waiting = waitFor(10);
      let orderId: string | undefined;
      for (let i = 0; i < 100 && !orderId; i++) {
        const row = await db
          .selectFrom("order_views")
          .select("order_id")
          .where("user_id", "=", user.userId)
          .executeTakeFirst();
        orderId = row?.order_id;
        if (!orderId) await Bun.sleep(50);
      }
      await confirm(orderId ?? "never placed");
      const answered = await waiting;
      expect(answered.status).toBe(201);
      expect(answered.headers.get("preference-applied")).toBe("wait=10");
      expect(await answered.json()).toMatchObject({ orderId, status: "CONFIRMED" });

      const replayed = await waitFor(10);
      expect(replayed.status).toBe(201);
      expect(await replayed.json()).toMatchObject({ orderId, status: "CONFIRMED" });

      const started = Date.now();
      const unanswered = await waitFor(1, crypto.randomUUID());
      expect(unanswered.status).toBe(202);
      expect(await unanswered.json()).toMatchObject({ status: "PENDING" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    });

    it("confirms after every step replies, then follows the rider to DELIVERED: commit at pick-up (packing never reported), capture at delivery", async () => {
      const user = shopper();
      const orderId = await placed(user);
      const { paymentId, ...delivery } = await confirm(orderId);
      expect(await outboxOf(db, orderId, "CommitStock")).toHaveLength(0);
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "PICKED_UP" });
      await awaitStatus(orderId, "PICKED_UP");
      const [commit] = await awaitOutbox(db, orderId, "CommitStock");
      await publish(order, "StockCommitted", {
        orderId,
        storeId,
        lines: (commit as MessageOf<"CommitStock">).data.lines,
      });
      // The reply and the rider's progress come on two topics: applied first, the reply is recorded first.
      await awaitStep(orderId, user, "COMMIT_STOCK_DONE");
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "OUT_FOR_DELIVERY" });
      await awaitStatus(orderId, "OUT_FOR_DELIVERY");
      expect(await outboxOf(db, orderId, "CapturePayment")).toHaveLength(0);
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "DELIVERED" });
      await awaitStatus(orderId, "DELIVERED");
      const [capture] = await awaitOutbox(db, orderId, "CapturePayment");
      expect(capture?.data).toMatchObject({ paymentId, amount: totalOf() });
      await publish(order, "PaymentCaptured", { orderId, paymentId, amount: totalOf() });
      const shown = await awaitStep(orderId, user, "CAPTURE_PAYMENT_DONE");
      expect(shown).toMatchObject({ status: "DELIVERED", etaMinutes: 11, reason: null });
      const steps = shown.history.map((entry) => entry.step);
      // Reservation and authorization run in parallel: their replies come on two topics, in either order.
      expect(steps.slice(1, 3).sort()).toEqual(["AUTHORIZE_PAYMENT_DONE", "RESERVE_STOCK_DONE"]);
      expect([steps[0], ...steps.slice(3)]).toEqual([
        "PLACED",
        "ASSIGN_RIDER_DONE",
        "CONFIRMED",
        "PICKED_UP",
        "COMMIT_STOCK_DONE",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
        "CAPTURE_PAYMENT_DONE",
      ]);
      expect(await outboxOf(db, orderId, "OrderConfirmed")).toHaveLength(1);
      expect(await outboxOf(db, orderId, "OrderStatusChanged")).toHaveLength(3);
      const cancel = await order.call("POST", `/v1/orders/${orderId}/cancel`, { user });
      expect(cancel.status).toBe(409);
    });

    it("moves a confirmed order to PACKED when the store packs it, once, commits the bag then, and the rider picks it up from there", async () => {
      const user = shopper();
      const orderId = await placed(user);
      const { paymentId: _, ...delivery } = await confirm(orderId);
      const packed = {
        orderId,
        storeId,
        taskId: crypto.randomUUID(),
        lines: [{ sku: "BREAD-400G", quantity: 1, picked: 1 }],
      };
      await publish(order, "OrderPacked", packed);
      await awaitStatus(orderId, "PACKED");
      const [commit] = await awaitOutbox(db, orderId, "CommitStock");
      expect((commit as MessageOf<"CommitStock">).data.picked).toEqual([{ sku: "BREAD-400G", quantity: 1 }]);
      // Reported again under another message id: the order has moved past it already.
      await publish(order, "OrderPacked", packed);
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "PICKED_UP" });
      await awaitStatus(orderId, "PICKED_UP");
      // The commit went out at packing; pick-up sends none of its own.
      expect(await outboxOf(db, orderId, "CommitStock")).toHaveLength(1);
      const changes = await outboxOf(db, orderId, "OrderStatusChanged");
      expect(changes.map((change) => (change as MessageOf<"OrderStatusChanged">).data.status)).toEqual([
        "PACKED",
        "PICKED_UP",
      ]);
      const steps = (await view(orderId, user)).history.map((entry) => entry.step);
      expect(steps.filter((step) => step === "PACKED")).toHaveLength(1);
      expect(steps.indexOf("PACKED")).toBeLessThan(steps.indexOf("PICKED_UP"));
    });

    it("rejects OUT_OF_STOCK and voids the authorization sent beside the reservation", async () => {
      const orderId = await placed(shopper());
      await publish(order, "StockReservationFailed", {
        orderId,
        storeId,
        reason: "OUT_OF_STOCK",
        unavailable: [{ sku: "MILK-1L", requested: 2, available: 0 }],
      });
      await awaitStatus(orderId, "REJECTED");
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(1);
      expect(await outboxOf(db, orderId, "ReleaseStock")).toHaveLength(0);
      expect((await outboxOf(db, orderId, "OrderRejected"))[0]?.data).toMatchObject({
        reason: "OUT_OF_STOCK",
      });
    });

    it("compensates when the payment reply misses its deadline, and voids a late authorization", async () => {
      const orderId = await placed(shopper());
      await publish(order, "StockReserved", {
        orderId,
        storeId,
        lines: [{ sku: "MILK-1L", quantity: 2 }],
        expiresAt: new Date().toISOString(),
      });
      const paymentId = paymentIdOf(await awaitOutbox(db, orderId, "AuthorizePayment"));
      await awaitStatus(orderId, "REJECTED", 5_000);
      expect(await outboxOf(db, orderId, "ReleaseStock")).toHaveLength(1);
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(1);
      await publish(order, "PaymentAuthorized", {
        orderId,
        paymentId,
        amount: { amountMinor: 780, currency: "INR" },
      });
      // The void went out with the rejection; a late authorization does not send a second one.
      await Bun.sleep(500);
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(1);
      expect(
        (
          await db
            .selectFrom("order_views")
            .select("reason")
            .where("order_id", "=", orderId)
            .executeTakeFirst()
        )?.reason,
      ).toBe("PAYMENT_TIMEOUT");
    });

    it("fires a deadline that passed while the service was down once it is back", async () => {
      const orderId = await placed(shopper());
      await publish(order, "StockReserved", {
        orderId,
        storeId,
        lines: [{ sku: "MILK-1L", quantity: 2 }],
        expiresAt: new Date().toISOString(),
      });
      await awaitOutbox(db, orderId, "AuthorizePayment");
      await order.stop();
      await Bun.sleep(2_000);
      const asLeft = await db
        .selectFrom("sagas")
        .selectAll()
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      expect(asLeft?.status).toBe("RUNNING");
      expect(asLeft?.deadline_at?.getTime()).toBeLessThan(Date.now());
      order = await env.start(orderService);
      await awaitStatus(orderId, "REJECTED", 10_000);
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(1);
    }, 30_000);

    it("routes a cancel while PENDING through compensation at the next reply", async () => {
      const user = shopper();
      const orderId = await placed(user);
      const cancel = await order.call("POST", `/v1/orders/${orderId}/cancel`, { user });
      expect(cancel.status).toBe(202);
      expect(await cancel.json()).toEqual({ orderId, status: "PENDING" });
      await publish(order, "StockReserved", {
        orderId,
        storeId,
        lines: [{ sku: "MILK-1L", quantity: 2 }],
        expiresAt: new Date().toISOString(),
      });
      await awaitStatus(orderId, "CANCELLED");
      expect(await outboxOf(db, orderId, "ReleaseStock")).toHaveLength(1);
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(1);
    });

    it("cancels a confirmed order before pick-up: delivery cancelled first, then hold voided and stock released", async () => {
      const user = shopper();
      const orderId = await placed(user);
      const delivery = await confirm(orderId);
      const cancel = await order.call("POST", `/v1/orders/${orderId}/cancel`, { user });
      expect(cancel.status).toBe(202);
      await awaitOutbox(db, orderId, "CancelDelivery");
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(0);
      await publish(order, "DeliveryCancelled", { orderId, storeId, deliveryId: delivery.deliveryId });
      await awaitStatus(orderId, "CANCELLED");
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(1);
      expect(await outboxOf(db, orderId, "ReleaseStock")).toHaveLength(1);
    });

    it("keeps a confirmed order going when delivery refuses the cancel: the rider had it already", async () => {
      const user = shopper();
      const orderId = await placed(user);
      const { paymentId: _, ...delivery } = await confirm(orderId);
      expect((await order.call("POST", `/v1/orders/${orderId}/cancel`, { user })).status).toBe(202);
      await awaitOutbox(db, orderId, "CancelDelivery");
      await publish(order, "DeliveryCancelRefused", {
        orderId,
        storeId,
        deliveryId: delivery.deliveryId,
        status: "PICKED_UP",
      });
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "PICKED_UP" });
      await awaitStatus(orderId, "PICKED_UP");
      await awaitOutbox(db, orderId, "CommitStock");
      expect(await outboxOf(db, orderId, "VoidPayment")).toHaveLength(0);
      expect(await outboxOf(db, orderId, "ReleaseStock")).toHaveLength(0);
      expect((await view(orderId, user)).history.map((entry) => entry.step)).toContain("CANCEL_REFUSED");
      expect((await order.call("POST", `/v1/orders/${orderId}/cancel`, { user })).status).toBe(409);
    });
  });

  describe("admin reads over the event store", () => {
    const admin = { userId: crypto.randomUUID(), roles: ["admin" as const] };
    const asOf = (
      orderId: string,
      at?: Date,
      user: { userId: string; roles: ("admin" | "shopper")[] } = admin,
    ) => order.call("GET", `/v1/admin/orders/${orderId}${at ? `?asOf=${at.toISOString()}` : ""}`, { user });
    const versionOf = async (orderId: string) =>
      (
        await db
          .selectFrom("sagas")
          .select("version")
          .where("order_id", "=", orderId)
          .executeTakeFirstOrThrow()
      ).version;
    const awaitVersion = async (orderId: string, version: number) => {
      for (const deadline = Date.now() + 15_000; (await versionOf(orderId)) < version; await Bun.sleep(50)) {
        if (Date.now() > deadline) throw new Error(`order ${orderId} never reached version ${version}`);
      }
    };
    // An instant strictly after everything committed so far (the store keeps microseconds, a Date milliseconds).
    const instant = async () => {
      await Bun.sleep(5);
      const at = new Date();
      await Bun.sleep(5);
      return at;
    };

    it("answers an order as it was at five instants on its way to DELIVERED, and its audit trail with causes", async () => {
      const user = shopper();
      const beforePlacing = await instant();
      const requestId = `req-${crypto.randomUUID()}`;
      const response = await order.call("POST", "/v1/orders", {
        user,
        body: bodyFor(),
        headers: { "idempotency-key": crypto.randomUUID(), "x-request-id": requestId },
      });
      const { orderId } = (await response.json()) as { orderId: string };
      const seen: { at: Date; status: string; version: number }[] = [];
      const note = async (status: string) =>
        seen.push({ at: await instant(), status, version: await versionOf(orderId) });
      await note("PENDING");
      const { paymentId, ...delivery } = await confirm(orderId);
      await note("CONFIRMED");
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "PICKED_UP" });
      await awaitStatus(orderId, "PICKED_UP");
      await note("PICKED_UP");
      const [commit] = await awaitOutbox(db, orderId, "CommitStock");
      const lines = (commit as MessageOf<"CommitStock">).data.lines;
      await publish(order, "StockCommitted", { orderId, storeId, lines });
      await awaitVersion(orderId, (seen.at(-1)?.version ?? 0) + 1);
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "OUT_FOR_DELIVERY" });
      await awaitStatus(orderId, "OUT_FOR_DELIVERY");
      await note("OUT_FOR_DELIVERY");
      await publish(order, "DeliveryStatusChanged", { orderId, ...delivery, status: "DELIVERED" });
      await awaitStatus(orderId, "DELIVERED");
      await awaitOutbox(db, orderId, "CapturePayment");
      await publish(order, "PaymentCaptured", { orderId, paymentId, amount: totalOf() });
      await awaitVersion(orderId, (await versionOf(orderId)) + 1);
      await note("DELIVERED");

      // Snapshots were kept every 3 events, so the later instants fold from one instead of from version 1.
      const snapshots = await db
        .selectFrom("order_snapshots")
        .select(["version", "taken_at"])
        .where("order_id", "=", orderId)
        .orderBy("version")
        .execute();
      expect(snapshots.map((snapshot) => snapshot.version)).toEqual([3, 6, 9]);
      expect(
        snapshots.filter((snapshot) => snapshot.taken_at < (seen[2]?.at ?? new Date(0))),
      ).not.toHaveLength(0);

      const now = (await (await asOf(orderId)).json()) as OrderAsOfView;
      expect(now).toMatchObject({ status: "DELIVERED", version: seen[4]?.version });
      for (const { at, status, version } of seen) {
        const answer = await asOf(orderId, at);
        expect(answer.status).toBe(200);
        const then = (await answer.json()) as OrderAsOfView;
        expect({ status: then.status, version: then.version, asOf: then.asOf }).toEqual({
          status: status as OrderAsOfView["status"],
          version,
          asOf: at.toISOString(),
        });
        expect(then.history).toHaveLength(version);
        expect(then.history).toEqual(now.history.slice(0, version));
        expect({ lines: then.lines, total: then.total }).toEqual({ lines: now.lines, total: now.total });
      }

      const trail = (await (
        await order.call("GET", `/v1/admin/orders/${orderId}/events`, { user: admin })
      ).json()) as OrderAuditTrail;
      expect(trail.events.map((event) => event.version)).toEqual(now.history.map((_, index) => index + 1));
      expect(trail.events.map((event) => event.occurredAt)).toEqual(now.history.map((entry) => entry.at));
      const [placedEvent, ...steps] = trail.events;
      expect(placedEvent).toMatchObject({
        type: "OrderPlaced",
        correlationId: requestId,
        causationId: null,
        actor: { kind: "shopper", id: user.userId },
      });
      // Every later event answers a message order consumed (its inbox holds it), sent by the tests' "service".
      const consumed = new Set(
        (await db.selectFrom("inbox").select("message_id").execute()).map((row) => row.message_id),
      );
      for (const step of steps) {
        expect(step.actor).toEqual({ kind: "service", id: "test" });
        expect(consumed.has(step.causationId ?? "")).toBe(true);
        expect(step.correlationId).not.toBeNull();
      }
      expect(steps.map((step) => step.type)).toContain("DeliveryProgressed");

      const early = await asOf(orderId, beforePlacing);
      expect(early.status).toBe(422);
      expect(((await early.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("asOf");
    });

    it("answers 400 for a malformed asOf, 404 for an unknown order and 403 for a shopper", async () => {
      const orderId = await placed(shopper());
      const malformed = await order.call("GET", `/v1/admin/orders/${orderId}?asOf=2026-13-45`, {
        user: admin,
      });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get("content-type")).toContain("application/problem+json");
      expect(JSON.stringify(await malformed.json())).toContain("asOf");
      expect((await asOf(crypto.randomUUID(), new Date())).status).toBe(404);
      const trail = await order.call("GET", `/v1/admin/orders/${crypto.randomUUID()}/events`, {
        user: admin,
      });
      expect(trail.status).toBe(404);
      expect(
        (await asOf(orderId, undefined, { userId: crypto.randomUUID(), roles: ["shopper"] })).status,
      ).toBe(403);
    });
  });

  describe("reading orders", () => {
    it("shows an order to its owner and an admin only; to anyone else it does not exist (404)", async () => {
      const owner = shopper();
      const orderId = await placed(owner);
      expect((await view(orderId, owner)).lines).toHaveLength(2);
      const admin = await order.call("GET", `/v1/orders/${orderId}`, {
        user: { userId: crypto.randomUUID(), roles: ["admin"] },
      });
      expect(admin.status).toBe(200);
      const stranger = await order.call("GET", `/v1/orders/${orderId}`, { user: shopper() });
      expect(stranger.status).toBe(404);
      const cancel = await order.call("POST", `/v1/orders/${orderId}/cancel`, { user: shopper() });
      expect(cancel.status).toBe(404);
      const unknown = await order.call("GET", `/v1/orders/${crypto.randomUUID()}`, { user: owner });
      expect(unknown.status).toBe(404);
    });

    it("lists the caller's orders newest first with keyset pages and a status filter", async () => {
      const user = shopper();
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await placed(user));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
        const page = (await (await order.call("GET", `/v1/orders${query}`, { user })).json()) as OrderPage;
        seen.push(...page.items.map((item) => item.orderId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const rejected = (await (
        await order.call("GET", "/v1/orders?status=REJECTED", { user })
      ).json()) as OrderPage;
      expect(rejected.items).toHaveLength(0);
    });
  });

  it("rebuilds the projection from the event store alone", async () => {
    const snapshot = async () => ({
      views: await db.selectFrom("order_views").selectAll().orderBy("order_id").execute(),
    });
    const before = await snapshot();
    expect(before.views.length).toBeGreaterThan(5);
    await db.deleteFrom("order_views").execute();
    const rebuilt = await replayProjection(db, "order-views", { replace: true });
    expect(rebuilt).toMatchObject({
      orders: before.views.length,
      onlyRebuilt: before.views.length,
      swapped: true,
    });
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an append at a version another writer already took", async () => {
    const orderId = await placed(shopper());
    const step = { type: "StepRecorded" as const, data: { step: "PROBE", detail: null } };
    const cause = { correlationId: null, causationId: null, actor: { kind: "service" as const, id: "test" } };
    await appendEvents(db, orderId, 1, [step], cause);
    await expect(appendEvents(db, orderId, 1, [step], cause)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await loadEvents(db, orderId)).map((event) => event.version)).toEqual([1, 2]);
  });

  it("refuses a step recorded from a stale read of the order, though its statement went out with the commit", async () => {
    const orderId = await placed(shopper());
    const stale = await lockAggregate(db, orderId);
    if (!stale) throw new Error("the order was not found");
    const change = {
      saga: stale.saga,
      events: [{ type: "StepRecorded" as const, data: { step: "PROBE", detail: null } }],
      cause: { correlationId: null, causationId: null, actor: { kind: "service" as const, id: "test" } },
      deadlineAt: null,
    };
    await transact(db, (trx) => saveStep(trx, stale, change, 1_000));
    await expect(transact(db, (trx) => saveStep(trx, stale, change, 1_000))).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    expect((await loadEvents(db, orderId)).map((event) => event.version)).toEqual([1, 2]);
  });

  it("locks a consumed batch's orders together: an order's first step takes it as locked, a later one reads it again", async () => {
    const [first, second] = [await placed(shopper()), await placed(shopper())];
    const change = (aggregate: OrderAggregate) => ({
      saga: aggregate.saga,
      events: [{ type: "StepRecorded" as const, data: { step: "PROBE", detail: null } }],
      cause: { correlationId: null, causationId: null, actor: { kind: "service" as const, id: "test" } },
      deadlineAt: null,
    });
    await transact(db, async (trx) => {
      await lockAggregates(trx, [second, first, second]);
      // Held by this transaction: nobody else can lock either order now.
      for (const orderId of [first, second])
        await expect(
          sql`select 1 from sagas where order_id = ${orderId} for update nowait`.execute(db),
        ).rejects.toMatchObject({ code: "55P03" });
      const taken = await lockAggregate(trx, first);
      if (!taken) throw new Error("the order was not found");
      const stepped = await saveStep(trx, taken, change(taken), 1_000);
      expect((await lockAggregate(trx, first))?.order.version).toBe(stepped.version);
      expect((await lockAggregate(trx, second))?.order.version).toBe(1);
    });
    expect((await loadEvents(db, first)).map((event) => event.version)).toEqual([1, 2]);
  });
});
