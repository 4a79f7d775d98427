import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { OrderView } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { createDb } from "../../shared/db";
import { migrateSchema } from "../../shared/db/migrate";
import { type TestEnvironment, testEnvironment } from "../../shared/testing/service";
import { appendEvents, loadEvents } from "../db/event-store";
import { project, viewRow, writeRows } from "../db/projections";
import type { Database } from "../db/schema";
import { evolve, type OrderEvent, type OrderState, type RecordedEvent, replay } from "../domain/order";
import { orderService } from "../main";
import { type ReplayProgress, replayProjection } from "./replay-projection";

const ORDERS = 10_000;
const money = (amountMinor: number) => ({ amountMinor, currency: "INR" });
const placedEvent = (userId: string, storeId: string): OrderEvent => ({
  type: "OrderPlaced",
  data: {
    userId,
    storeId,
    lines: [{ sku: "MILK-1L", quantity: 2, unitPriceMinor: 6_500 }],
    subtotal: money(13_000),
    deliveryFee: money(2_500),
    discount: money(0),
    total: money(15_500),
    address: { line1: "12 MG Road", lat: 12.97, lng: 77.59 },
    couponCode: null,
  },
});
const step = (name: string): OrderEvent => ({ type: "StepRecorded", data: { step: name, detail: null } });

/** The events of a few kinds of order: delivered, rejected, cancelled and still pending. */
function streamOf(index: number, userId: string, storeId: string): OrderEvent[] {
  const placed = placedEvent(userId, storeId);
  switch (index % 4) {
    case 0:
      return [
        placed,
        step("RESERVE_STOCK_DONE"),
        step("AUTHORIZE_PAYMENT_DONE"),
        step("ASSIGN_RIDER_DONE"),
        { type: "OrderConfirmed", data: { deliveryId: crypto.randomUUID(), etaMinutes: 9 + (index % 7) } },
        { type: "DeliveryProgressed", data: { status: "PICKED_UP" } },
        step("COMMIT_STOCK_DONE"),
        { type: "DeliveryProgressed", data: { status: "OUT_FOR_DELIVERY" } },
        { type: "DeliveryProgressed", data: { status: "DELIVERED" } },
        step("CAPTURE_PAYMENT_DONE"),
      ];
    case 1:
      return [
        placed,
        step("AUTHORIZE_PAYMENT_DONE"),
        { type: "StepRecorded", data: { step: "RESERVE_STOCK_FAILED", detail: "MILK-1L: 0 available" } },
        { type: "StepRecorded", data: { step: "COMPENSATING", detail: "VoidPayment" } },
        { type: "OrderRejected", data: { reason: "OUT_OF_STOCK", detail: "MILK-1L: 0 available" } },
      ];
    case 2:
      return [
        placed,
        { type: "CancelRequested", data: {} },
        { type: "OrderCancelled", data: { reason: "CANCELLED_BY_SHOPPER" } },
      ];
    default:
      return [placed, step("RESERVE_STOCK_DONE")];
  }
}

const cause = {
  correlationId: "replay-test",
  causationId: null,
  actor: { kind: "service" as const, id: "test" },
};

describe("replaying order_views from the event store", () => {
  let env: TestEnvironment;
  let db: Kysely<Database>;

  /**
   * Seeds orders the fast way: their events straight into order_events (1,000 rows a statement, instants a
   * millisecond apart) and their live rows folded event by event, as the service's steps write them.
   */
  async function seed(count: number): Promise<string[]> {
    const storeId = crypto.randomUUID();
    const base = Date.now() - 3_600_000;
    const events: Record<string, unknown>[] = [];
    const views: ReturnType<typeof viewRow>[] = [];
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const orderId = Bun.randomUUIDv7();
      ids.push(orderId);
      let state: OrderState | null = null;
      streamOf(index, crypto.randomUUID(), storeId).forEach((event, position) => {
        const recorded = {
          ...event,
          version: position + 1,
          occurredAt: new Date(base + index * 20 + position),
        };
        state = evolve(orderId, state, recorded as RecordedEvent);
        events.push({
          order_id: orderId,
          version: recorded.version,
          type: event.type,
          data: JSON.stringify(event.data),
          occurred_at: recorded.occurredAt,
          schema_version: event.type === "StepRecorded" ? 2 : 1,
          correlation_id: cause.correlationId,
          actor_kind: "service",
          actor_id: "test",
        });
      });
      if (state) views.push(viewRow(state));
    }
    for (let start = 0; start < events.length; start += 1_000) {
      await db
        .insertInto("order_events")
        .values(events.slice(start, start + 1_000) as never)
        .execute();
    }
    for (let start = 0; start < views.length; start += 500) {
      await writeRows(db, "order_views", views.slice(start, start + 500));
    }
    return ids;
  }

  /** One step of the live path: appends an event after the order's last one and projects its new state. */
  async function liveStep(writer: Kysely<Database>, orderId: string, event: OrderEvent): Promise<void> {
    await writer.transaction().execute(async (trx) => {
      const stream = await loadEvents(trx, orderId);
      const appended = await appendEvents(trx, orderId, stream.length, [event], cause);
      await project(trx, replay(orderId, [...stream, ...appended]));
    });
  }

  const viewOf = async (orderId: string) =>
    (
      await db
        .selectFrom("order_views")
        .select("view")
        .where("order_id", "=", orderId)
        .executeTakeFirstOrThrow()
    ).view as OrderView;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_replay" });
    const migrator = createDb({ url: env.config.DATABASE_URL, schema: "order", poolMax: 1 });
    await migrateSchema(migrator, "order", orderService.migrations);
    await migrator.destroy();
    db = env.db<Database>("order");
  }, 30_000);
  afterAll(() => env.stop(), 30_000);

  it("rebuilds 10,000 orders while steps keep landing, proves the tables equal row for row and swaps it in", async () => {
    const seeded = await seed(ORDERS);
    // Another pool, as the running service has: its prepared statements must survive the swap.
    const writer = env.db<Database>("order");
    await liveStep(writer, seeded[0] ?? "", step("PROBE_BEFORE"));
    const progress: ReplayProgress[] = [];
    let writes: Promise<void> | undefined;
    const outcome = await replayProjection(db, "order-views", {
      onProgress: (report) => {
        progress.push(report);
        console.log(
          `${report.phase}: ${report.orders}/${report.total} (${Math.floor((report.orders / Math.max(report.total, 1)) * 100)}%), ${report.ordersPerSecond} orders/s`,
        );
        // Orders of the first page are folded already: their new steps can only come in by catching up.
        writes ??= (async () => {
          for (const orderId of seeded.slice(0, 20)) await liveStep(writer, orderId, step("PROBE_DURING"));
        })();
      },
    });
    await writes;
    console.log(
      `replayed ${outcome.orders} orders in ${(outcome.elapsedMs / 1000).toFixed(2)} s ` +
        `(${outcome.caughtUp} caught up, lock held ${outcome.lockedMs.toFixed(0)} ms)`,
    );
    expect(outcome).toMatchObject({
      orders: ORDERS,
      onlyLive: 0,
      onlyRebuilt: 0,
      differing: [],
      swapped: true,
    });
    expect(outcome.caughtUp).toBeGreaterThanOrEqual(20);
    expect(progress.filter((report) => report.phase === "rebuild").at(-1)).toMatchObject({
      orders: ORDERS,
      total: ORDERS,
    });
    expect((await viewOf(seeded[5] ?? "")).history.at(-1)?.step).toBe("PROBE_DURING");

    // The swapped-in table carries the migrations' index names, the old one is kept beside it, and the
    // writer's next step (a prepared statement planned against the old table) lands in the new one.
    const indexes = await sql<{ tablename: string; indexname: string }>`
        select tablename, indexname from pg_indexes where schemaname = 'order' and tablename like 'order_views%'
        order by 1, 2`.execute(db);
    expect(indexes.rows.map((row) => `${row.tablename}.${row.indexname}`)).toEqual([
      "order_views.order_views_by_store",
      "order_views.order_views_by_user",
      "order_views.order_views_pkey",
      "order_views_previous.order_views_previous_by_store",
      "order_views_previous.order_views_previous_by_user",
      "order_views_previous.order_views_previous_pkey",
    ]);
    await liveStep(writer, seeded[0] ?? "", step("PROBE_AFTER"));
    expect((await viewOf(seeded[0] ?? "")).history.map((entry) => entry.step).slice(-3)).toEqual([
      "PROBE_BEFORE",
      "PROBE_DURING",
      "PROBE_AFTER",
    ]);
    const previous = await sql<{
      count: number;
    }>`select count(*)::int as count from order_views_previous`.execute(db);
    expect(previous.rows[0]?.count).toBe(ORDERS);
  }, 120_000);

  it("finds a corrupted live row, leaves the live table alone, and repairs it only when told to", async () => {
    const [orderId = ""] = await seed(8);
    const honest = await viewOf(orderId);
    await db
      .updateTable("order_views")
      .set({ status: "CANCELLED" })
      .where("order_id", "=", orderId)
      .execute();
    const checked = await replayProjection(db, "order-views");
    expect(checked).toMatchObject({ onlyLive: 1, onlyRebuilt: 1, differing: [orderId], swapped: false });
    const corrupted = await db
      .selectFrom("order_views")
      .select("status")
      .where("order_id", "=", orderId)
      .executeTakeFirst();
    expect(corrupted?.status).toBe("CANCELLED");

    const repaired = await replayProjection(db, "order-views", { replace: true });
    expect(repaired).toMatchObject({ onlyLive: 1, onlyRebuilt: 1, swapped: true });
    const row = await db
      .selectFrom("order_views")
      .select(["status", "view"])
      .where("order_id", "=", orderId)
      .executeTakeFirst();
    expect(row).toEqual({ status: honest.status, view: honest });
  }, 60_000);

  it("upcasts events of an old shape while replaying: CREATE_DELIVERY became ASSIGN_RIDER", async () => {
    const [orderId = ""] = await seed(1);
    // As written before the step was renamed: no schema version, the old step name in the event and view.
    await db
      .insertInto("order_events")
      .values({
        order_id: orderId,
        version: 11,
        type: "StepRecorded",
        data: JSON.stringify({ step: "CREATE_DELIVERY_RETRIED", detail: "attempt 2" }),
        schema_version: null,
        correlation_id: null,
        causation_id: null,
        actor_kind: null,
        actor_id: null,
      })
      .execute();
    const stale = await viewOf(orderId);
    await db
      .updateTable("order_views")
      .set({
        version: 11,
        view: JSON.stringify({
          ...stale,
          history: [
            ...stale.history,
            { step: "CREATE_DELIVERY_RETRIED", at: new Date().toISOString(), detail: "attempt 2" },
          ],
        }),
      })
      .where("order_id", "=", orderId)
      .execute();
    const checked = await replayProjection(db, "order-views");
    expect(checked).toMatchObject({ onlyLive: 1, onlyRebuilt: 1, differing: [orderId], swapped: false });
    await replayProjection(db, "order-views", { replace: true });
    expect((await viewOf(orderId)).history.at(-1)).toMatchObject({
      step: "ASSIGN_RIDER_RETRIED",
      detail: "attempt 2",
    });
  }, 60_000);
});
