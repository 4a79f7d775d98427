import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { type PickTaskView, ShopperNotification } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { Connection } from "rabbitmq-client";
import { transact } from "../shared/db/transaction";
import { createRabbitQueue, deleteDeclaredQueues } from "../shared/queue/rabbitmq";
import { awaitOutbox, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import type { Notifier } from "./clients/notifier";
import { startNotifier } from "./consumers/notifier";
import type { Database } from "./db/schema";
import { deliveryService } from "./main";
import { allLines, confirmedOrder as confirmOrder } from "./testing/confirmed-order";
import { deliveryParts, SHOPPER_NOTIFICATIONS } from "./wiring";

// A fresh consumer group joins the shared broker first, which can take seconds on a busy machine.
setDefaultTimeout(40_000);

const VISIBILITY_MS = 1_000;
const RETRY_DELAY_MS = 700;
const MAX_ATTEMPTS = 3;

describe("picking on RabbitMQ", () => {
  let env: TestEnvironment;
  let delivery: TestService;
  let db: Kysely<Database>;
  let rabbit: Connection;

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_picking",
      env: {
        PICK_VISIBILITY_MS: String(VISIBILITY_MS),
        PICK_RETRY_DELAY_MS: String(RETRY_DELAY_MS),
        PICK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        NOTIFIER_FAILURE_RATE: "0",
        NOTIFIER_LATENCY_MS: "5",
      },
    });
    delivery = await env.start(deliveryService);
    db = env.db<Database>("delivery");
    rabbit = new Connection(env.config.RABBITMQ_URL);
  });
  afterAll(async () => {
    await rabbit.close();
    await env.stop();
  });

  const staffOf = (storeId: string) => ({
    userId: crypto.randomUUID(),
    roles: ["store_staff" as const],
    storeIds: [storeId],
  });
  type Staff = ReturnType<typeof staffOf>;
  const next = (staff: Staff, storeId = staff.storeIds[0] ?? "") =>
    delivery.call("GET", `/v1/stores/${storeId}/pick-tasks/next`, { user: staff });
  const claim = async (staff: Staff): Promise<PickTaskView | null> => {
    const response = await next(staff);
    expect([200, 204]).toContain(response.status);
    return response.status === 204 ? null : ((await response.json()) as PickTaskView);
  };
  const complete = (staff: Staff, taskId: string, lines: unknown) =>
    delivery.call("POST", `/v1/pick-tasks/${taskId}/complete`, { user: staff, body: { lines } });
  const inQueue = async (storeId: string) =>
    (
      await rabbit.queueDeclare({
        queue: deliveryParts(delivery.ctx as never).pickQueues.queueOf(storeId),
        passive: true,
      })
    ).messageCount;
  const taskOf = (orderId: string) =>
    db.selectFrom("pick_tasks").selectAll().where("order_id", "=", orderId).executeTakeFirst();

  const confirmedOrder = (storeId: string, options: Parameters<typeof confirmOrder>[3] = {}) =>
    confirmOrder(delivery, db, storeId, options);

  it("makes a confirmed order exactly one pick task, even when OrderConfirmed arrives twice", async () => {
    const storeId = crypto.randomUUID();
    const { orderId, confirmed } = await confirmedOrder(storeId);
    // Redelivered as-is (the inbox) and re-sent under a new id (the task row): neither queues a second item.
    await publish(delivery, "OrderConfirmed", confirmed.data as never, { id: confirmed.id });
    await publish(delivery, "OrderConfirmed", confirmed.data as never);
    await Bun.sleep(1_500);
    const rows = await db.selectFrom("pick_tasks").selectAll().where("order_id", "=", orderId).execute();
    expect(rows.map((row) => row.status)).toEqual(["QUEUED"]);
    expect(await inQueue(storeId)).toBe(1);
  });

  it("queues a batch's confirmed tasks together before it commits, and leaves one cancelled later in the batch cancelled", async () => {
    const storeId = crypto.randomUUID();
    const { pickTasks } = deliveryParts(delivery.ctx as never);
    const [kept, ended] = [crypto.randomUUID(), crypto.randomUUID()];
    await transact(db, async (trx) => {
      for (const orderId of [kept, ended])
        await pickTasks.placed(trx, {
          orderId,
          storeId,
          userId: crypto.randomUUID(),
          lines: allLines.map(({ sku, picked }) => ({ sku, quantity: picked })),
        });
    });
    await transact(db, async (trx) => {
      pickTasks.confirmed(trx, kept);
      pickTasks.confirmed(trx, ended);
      await pickTasks.ended(trx, ended);
      // Nothing queued yet: the batch's confirmations go out together with its commit.
      const rows = await trx
        .selectFrom("pick_tasks")
        .select(["order_id", "status"])
        .where("order_id", "in", [kept, ended])
        .execute();
      expect(Object.fromEntries(rows.map((row) => [row.order_id, row.status]))).toEqual({
        [kept]: "WAITING",
        [ended]: "CANCELLED",
      });
    });
    expect((await taskOf(kept))?.status).toBe("QUEUED");
    expect((await taskOf(ended))?.status).toBe("CANCELLED");
    // Published once RabbitMQ confirmed it (which also declares the store's queue).
    for (let i = 0; i < 100 && !(await taskOf(kept))?.published_at; i++) await Bun.sleep(20);
    await Bun.sleep(200);
    // Only the kept order's work item reaches the pickers.
    expect(await inQueue(storeId)).toBe(1);
  });

  it("gives competing pickers different tasks, and a picker holding one no second", async () => {
    const storeId = crypto.randomUUID();
    const orders = [];
    for (let i = 0; i < 3; i++) orders.push((await confirmedOrder(storeId)).orderId);
    const pickers = [staffOf(storeId), staffOf(storeId), staffOf(storeId)];
    const claimed = await Promise.all(pickers.map(claim));
    expect(new Set(claimed.map((task) => task?.orderId))).toEqual(new Set(orders));
    // Prefetch 1: asking again, at once and concurrently, answers the task already held.
    const again = await Promise.all([claim(pickers[0] as Staff), claim(pickers[0] as Staff)]);
    expect(again.map((task) => task?.taskId)).toEqual([claimed[0]?.taskId, claimed[0]?.taskId]);
    expect(await claim(staffOf(storeId))).toBeNull();
    for (const [i, task] of claimed.entries())
      expect((await complete(pickers[i] as Staff, task?.taskId ?? "", allLines)).status).toBe(200);
  });

  it("hands out express orders before the others waiting", async () => {
    const storeId = crypto.randomUUID();
    const first = await confirmedOrder(storeId);
    const second = await confirmedOrder(storeId);
    const express = await confirmedOrder(storeId, { express: true });
    const order = [];
    for (let i = 0; i < 3; i++) {
      const picker = staffOf(storeId);
      const task = await claim(picker);
      order.push(task?.orderId);
      expect((await complete(picker, task?.taskId ?? "", allLines)).status).toBe(200);
    }
    expect(order).toEqual([express.orderId, first.orderId, second.orderId]);
  });

  it("refuses staff of another store, and a bag that does not match the order (fields named); packs one with an item missing", async () => {
    const storeId = crypto.randomUUID();
    const { orderId } = await confirmedOrder(storeId);
    const stranger = staffOf(crypto.randomUUID());
    expect((await next(stranger, storeId)).status).toBe(403);
    const shopper = { userId: crypto.randomUUID(), roles: ["shopper" as const], storeIds: [storeId] };
    expect((await next(shopper as never, storeId)).status).toBe(403);

    const picker = staffOf(storeId);
    const task = (await claim(picker)) as PickTaskView;
    expect(task).toMatchObject({
      orderId,
      storeId,
      express: false,
      allowSubstitutions: false,
      status: "CLAIMED",
      attempt: 1,
    });
    expect(task.lines).toEqual([
      { sku: "MILK-1L", name: null, quantity: 2 },
      { sku: "BREAD-500G", name: null, quantity: 1 },
    ]);
    const wrong = await complete(picker, task.taskId, [
      { sku: "MILK-1L", picked: 3 },
      { sku: "EGGS-10", picked: 1 },
    ]);
    expect(wrong.status).toBe(422);
    expect(wrong.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await wrong.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path).sort()).toEqual([
      "lines",
      "lines.0.picked",
      "lines.1.sku",
    ]);
    // This shopper did not opt in to substitutes: one is refused, naming the field, and nothing is packed.
    const substituted = await complete(picker, task.taskId, [
      { sku: "MILK-1L", picked: 2 },
      { sku: "BREAD-500G", picked: 0, substituteSku: "BREAD-RYE" },
    ]);
    expect(substituted.status).toBe(422);
    expect(((await substituted.json()) as { errors: unknown[] }).errors).toEqual([
      { path: "lines.1.substituteSku", message: "the shopper did not allow substitutes" },
    ]);
    expect((await taskOf(orderId))?.status).toBe("CLAIMED");
    expect((await complete(picker, task.taskId, [{ sku: "milk", picked: 1 }])).status).toBe(400);
    expect((await complete(staffOf(storeId), task.taskId, allLines)).status).toBe(403);

    // One carton of milk is missing: packed without it.
    const bag = [
      { sku: "MILK-1L", picked: 1 },
      { sku: "BREAD-500G", picked: 1 },
    ];
    const done = await complete(picker, task.taskId, bag);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ taskId: task.taskId, status: "PACKED" });
    expect((await complete(picker, task.taskId, bag)).status).toBe(200);
    const packed = await awaitOutbox(db, orderId, "OrderPacked");
    expect(packed).toHaveLength(1);
    expect(packed[0]?.data).toMatchObject({
      orderId,
      storeId,
      taskId: task.taskId,
      lines: [
        { sku: "MILK-1L", quantity: 2, picked: 1 },
        { sku: "BREAD-500G", quantity: 1, picked: 1 },
      ],
    });
    expect(await inQueue(storeId)).toBe(0);
  });

  it("gives a vanished picker's task to another picker after the visibility time and the retry delay", async () => {
    const storeId = crypto.randomUUID();
    const { orderId } = await confirmedOrder(storeId);
    const vanished = staffOf(storeId);
    const claimedAt = performance.now();
    const held = (await claim(vanished)) as PickTaskView;
    expect(held.orderId).toBe(orderId);
    const other = staffOf(storeId);
    let retaken: PickTaskView | null = null;
    while (!retaken && performance.now() - claimedAt < 10_000) {
      retaken = await claim(other);
      if (!retaken) await Bun.sleep(50);
    }
    const gap = performance.now() - claimedAt;
    expect(retaken).toMatchObject({ taskId: held.taskId, attempt: 2 });
    expect(gap).toBeGreaterThanOrEqual(VISIBILITY_MS + RETRY_DELAY_MS);
    // The first picker's claim ended with it: the task is the other picker's now.
    expect((await complete(vanished, held.taskId, allLines)).status).toBe(403);
    expect((await complete(other, held.taskId, allLines)).status).toBe(200);
  });

  it("dead-letters a task whose claims lapse PICK_MAX_ATTEMPTS times, each retry after the delay", async () => {
    const storeId = crypto.randomUUID();
    const { orderId } = await confirmedOrder(storeId);
    const claims: number[] = [];
    let taskId = "";
    const deadline = performance.now() + 20_000;
    while (claims.length < MAX_ATTEMPTS && performance.now() < deadline) {
      const task = await claim(staffOf(storeId));
      if (task) {
        claims.push(performance.now());
        taskId = task.taskId;
        expect(task.attempt).toBe(claims.length);
      } else await Bun.sleep(50);
    }
    expect(claims).toHaveLength(MAX_ATTEMPTS);
    for (let i = 1; i < claims.length; i++)
      expect((claims[i] ?? 0) - (claims[i - 1] ?? 0)).toBeGreaterThanOrEqual(VISIBILITY_MS + RETRY_DELAY_MS);

    const { pickQueues } = deliveryParts(delivery.ctx as never);
    let dead = null;
    for (let i = 0; i < 100 && !dead; i++) {
      dead = await pickQueues.takeDeadLetter();
      if (!dead) await Bun.sleep(50);
    }
    expect(dead?.body).toEqual({ taskId, orderId, storeId });
    expect((await taskOf(orderId))?.status).toBe("DEAD");
    expect(await claim(staffOf(storeId))).toBeNull();
  });

  it("publishes queued tasks whose publish was never recorded, and records them together in one statement", async () => {
    const storeId = crypto.randomUUID();
    // Four tasks queued long ago by an instance that died before RabbitMQ confirmed them.
    const orderIds = Array.from({ length: 4 }, () => crypto.randomUUID());
    await db
      .insertInto("pick_tasks")
      .values(
        orderIds.map((orderId) => ({
          task_id: Bun.randomUUIDv7(),
          order_id: orderId,
          store_id: storeId,
          user_id: crypto.randomUUID(),
          express: false,
          allow_substitutions: false,
          lines: JSON.stringify(allLines.map(({ sku }) => ({ sku, quantity: 1 }))) as never,
          status: "QUEUED" as const,
          updated_at: new Date(Date.now() - 60_000),
        })),
      )
      .execute();
    const marks = () =>
      db
        .selectFrom("pick_tasks")
        .select(["published_at", sql<string>`xmin::text`.as("xmin")])
        .where("order_id", "in", orderIds)
        .execute();
    for (let i = 0; i < 200 && (await marks()).some((row) => row.published_at === null); i++)
      await Bun.sleep(100);
    const rows = await marks();
    expect(rows.every((row) => row.published_at !== null)).toBe(true);
    expect(new Set(rows.map((row) => row.xmin)).size).toBe(1);
    expect(await inQueue(storeId)).toBe(4);
  });

  it("declares its topology again on restart and keeps the tasks queued", async () => {
    const storeId = crypto.randomUUID();
    const { orderId } = await confirmedOrder(storeId);
    await delivery.stop();
    delivery = await env.start(deliveryService);
    expect(await inQueue(storeId)).toBe(1);
    const task = await claim(staffOf(storeId));
    expect(task?.orderId).toBe(orderId);
  });

  it("tells the shopper through the notifier once per event, what changed in the bag included", async () => {
    const storeId = crypto.randomUUID();
    const userId = crypto.randomUUID();
    const { orderId } = await confirmedOrder(storeId, { userId });
    const ref = { orderId, userId, storeId };
    const packed = await publish(delivery, "OrderStatusChanged", { ...ref, status: "PACKED" });
    await publish(delivery, "OrderStatusChanged", { ...ref, status: "DELIVERED" });
    // What the store changed in the bag is told too; a bag packed as ordered tells nothing more.
    await publish(delivery, "OrderPacked", {
      ...ref,
      taskId: crypto.randomUUID(),
      lines: [
        {
          sku: "MILK-1L",
          quantity: 2,
          picked: 1,
          substitute: { sku: "OAT-1L", quantity: 1, unitPriceMinor: 150 },
        },
        { sku: "BREAD-500G", quantity: 1, picked: 0 },
      ],
    });
    const sent = () =>
      db
        .selectFrom("notifications")
        .select(["kind", "user_id", "body"])
        .where("order_id", "=", orderId)
        .execute();
    for (let i = 0; i < 200 && (await sent()).length < 4; i++) await Bun.sleep(50);
    // The same event redelivered by Kafka (the group keeps no inbox) and its notification published again by
    // hand: neither is sent twice.
    await publish(delivery, "OrderStatusChanged", { ...ref, status: "PACKED" }, { id: packed.id });
    const { notifyQueues } = deliveryParts(delivery.ctx as never);
    await notifyQueues.publish(
      SHOPPER_NOTIFICATIONS,
      { notificationId: packed.id, ...ref, kind: "PACKED", body: "again" },
      { messageId: packed.id },
    );
    const queue = notifyQueues.queueOf(SHOPPER_NOTIFICATIONS);
    for (let i = 0; i < 100 && (await rabbit.queueDeclare({ queue, passive: true })).messageCount > 0; i++)
      await Bun.sleep(20);
    await Bun.sleep(300);
    const rows = await sent();
    expect(rows.map((row) => row.kind).sort()).toEqual([
      "DELIVERED",
      "ITEMS_CHANGED",
      "ORDER_CONFIRMED",
      "PACKED",
    ]);
    expect(rows.find((row) => row.kind === "ITEMS_CHANGED")?.body).toBe(
      "Changes to your order: MILK-1L: 1 replaced by OAT-1L; BREAD-500G: 1 of 1 not available, not charged",
    );
    expect(rows.every((row) => row.user_id === userId)).toBe(true);
    expect(rows.find((row) => row.kind === "PACKED")?.body).toBe(
      "Your order is packed and waiting for its rider",
    );
  });

  it("records notifications sent at about the same time with one insert, not one commit each", async () => {
    const ref = { orderId: crypto.randomUUID(), userId: crypto.randomUUID(), storeId: crypto.randomUUID() };
    const { notifyQueues } = deliveryParts(delivery.ctx as never);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => {
        const notificationId = crypto.randomUUID();
        return notifyQueues.publish(
          SHOPPER_NOTIFICATIONS,
          { notificationId, ...ref, kind: "PACKED", body: `burst ${i}` },
          { messageId: notificationId },
        );
      }),
    );
    const recorded = () =>
      db
        .selectFrom("notifications")
        .select(sql<string>`xmin::text`.as("xmin"))
        .where("order_id", "=", ref.orderId)
        .execute();
    for (let i = 0; i < 200 && (await recorded()).length < 5; i++) await Bun.sleep(25);
    const rows = await recorded();
    expect(rows).toHaveLength(5);
    // Sent within one window they share a transaction; a slow machine may split them over two.
    expect(new Set(rows.map((row) => row.xmin)).size).toBeLessThanOrEqual(2);
  });

  it("retries a failed send after the retry delay and dead-letters one that keeps failing", async () => {
    // A notifier of its own on a family of its own, so the service's notifier does not compete for these.
    const prefix = `${env.config.QUEUE_PREFIX}.own`;
    const queue = createRabbitQueue({ url: env.config.RABBITMQ_URL, prefix, logger: delivery.ctx.logger });
    const family = queue.workQueues({ name: "notify", schema: ShopperNotification, retryDelayMs: 300 });
    const tries = new Map<string, number[]>();
    const flaky: Notifier = {
      async send(notification: ShopperNotification) {
        const at = [...(tries.get(notification.notificationId) ?? []), performance.now()];
        tries.set(notification.notificationId, at);
        if (notification.body === "never" || at.length < 3) throw new Error("provider down");
      },
    };
    const worker = startNotifier(delivery.ctx as never, family, flaky);
    const orderId = crypto.randomUUID();
    const make = (body: string): ShopperNotification => ({
      notificationId: crypto.randomUUID(),
      orderId,
      userId: crypto.randomUUID(),
      kind: "PACKED",
      body,
    });
    const third = make("sent on the third try");
    const never = make("never");
    try {
      for (const n of [third, never])
        await family.publish(SHOPPER_NOTIFICATIONS, n, { messageId: n.notificationId });
      let dead = null;
      for (let i = 0; i < 200 && !dead; i++) {
        dead = await family.takeDeadLetter();
        if (!dead) await Bun.sleep(50);
      }
      expect(dead?.messageId).toBe(never.notificationId);
      expect(tries.get(never.notificationId)).toHaveLength(delivery.ctx.config.NOTIFIER_MAX_ATTEMPTS);
      const attempts = tries.get(third.notificationId) ?? [];
      expect(attempts).toHaveLength(3);
      for (let i = 1; i < attempts.length; i++)
        expect((attempts[i] ?? 0) - (attempts[i - 1] ?? 0)).toBeGreaterThanOrEqual(300);
      const recorded = await db
        .selectFrom("notifications")
        .select(["message_id", "attempts"])
        .where("order_id", "=", orderId)
        .execute();
      expect(recorded).toEqual([{ message_id: third.notificationId, attempts: 3 }]);
    } finally {
      await worker.stop();
      await queue.close();
      await deleteDeclaredQueues(env.config.RABBITMQ_URL, prefix);
    }
  });
});
