import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { Kysely } from "kysely";
import { awaitOutbox, outboxOf, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import type { Database } from "./db/schema";
import { inventoryService } from "./main";
import { assertConservation, receive, stockOf } from "./testing/stock-fixture";

// A fresh consumer group joins the shared broker first, which can take seconds on a busy machine.
setDefaultTimeout(30_000);

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe("inventory answering the saga's commands over Kafka", () => {
  let env: TestEnvironment;
  let inventory: TestService;
  let db: Kysely<Database>;
  const storeId = crypto.randomUUID();

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_saga_participants",
      env: { INVENTORY_SWEEP_INTERVAL_MS: "100" },
    });
    inventory = await env.start(inventoryService);
    db = env.db<Database>("inventory");
    await receive(inventory, storeId, { "APPLE-1": 10, "MILK-1": 2, "BREAD-1": 5 });
    // One round trip, so every test starts with the consumer in its group.
    const warmUp = crypto.randomUUID();
    await publish(inventory, "ReleaseStock", {
      orderId: warmUp,
      storeId,
      lines: [{ sku: "APPLE-1", quantity: 1 }],
    });
    await awaitOutbox(db, warmUp, "StockReleased", { timeoutMs: 25_000 });
  });
  afterAll(() => env.stop());

  it("reserves nothing when one line is short, and names the short line", async () => {
    const orderId = crypto.randomUUID();
    await publish(inventory, "ReserveStock", {
      orderId,
      storeId,
      expiresAt: inMinutes(5),
      lines: [
        { sku: "APPLE-1", quantity: 3 },
        { sku: "MILK-1", quantity: 3 },
      ],
    });
    const [failed] = await awaitOutbox(db, orderId, "StockReservationFailed");
    expect(failed?.data).toMatchObject({
      reason: "OUT_OF_STOCK",
      unavailable: [{ sku: "MILK-1", requested: 3, available: 2 }],
    });
    expect(await stockOf(db, storeId, "APPLE-1")).toMatchObject({ on_hand: 10, reserved: 0 });
    expect(await stockOf(db, storeId, "MILK-1")).toMatchObject({ on_hand: 2, reserved: 0 });
    expect(await outboxOf(db, orderId, "StockReserved")).toHaveLength(0);
  });

  it("reserves every line, then sells them on commit, publishing each stock level", async () => {
    const orderId = crypto.randomUUID();
    const lines = [
      { sku: "APPLE-1", quantity: 2 },
      { sku: "BREAD-1", quantity: 1 },
    ];
    await publish(inventory, "ReserveStock", { orderId, storeId, lines, expiresAt: inMinutes(5) });
    await awaitOutbox(db, orderId, "StockReserved");
    expect(await stockOf(db, storeId, "APPLE-1")).toMatchObject({ on_hand: 10, reserved: 2 });

    await publish(inventory, "CommitStock", { orderId, storeId, lines });
    await awaitOutbox(db, orderId, "StockCommitted");
    expect(await stockOf(db, storeId, "APPLE-1")).toEqual({ on_hand: 8, reserved: 0, received: 10, sold: 2 });
    const levels = await outboxOf(db, `${storeId}:APPLE-1`, "StockLevelChanged");
    expect(levels.at(-1)?.data).toEqual({ storeId, sku: "APPLE-1", onHand: 8, reserved: 0, available: 8 });
  });

  it("applies a command delivered twice once", async () => {
    const orderId = crypto.randomUUID();
    const data = { orderId, storeId, lines: [{ sku: "BREAD-1", quantity: 1 }], expiresAt: inMinutes(5) };
    const first = await publish(inventory, "ReserveStock", data);
    await publish(inventory, "ReserveStock", data, { id: first.id });
    // A retry with a new message id is not in the inbox, but the reservation already exists.
    await publish(inventory, "ReserveStock", data);
    await awaitOutbox(db, orderId, "StockReserved", { count: 2 });
    await Bun.sleep(300);
    expect(await outboxOf(db, orderId, "StockReserved")).toHaveLength(2);
    expect((await stockOf(db, storeId, "BREAD-1")).reserved).toBe(1);
  });

  it("answers a release that overtook its reserve, and the late reserve then holds nothing", async () => {
    const orderId = crypto.randomUUID();
    const lines = [{ sku: "APPLE-1", quantity: 1 }];
    const before = await stockOf(db, storeId, "APPLE-1");
    await publish(inventory, "ReleaseStock", { orderId, storeId, lines });
    await awaitOutbox(db, orderId, "StockReleased");
    await publish(inventory, "ReserveStock", { orderId, storeId, lines, expiresAt: inMinutes(5) });
    await awaitOutbox(db, orderId, "StockReleased", { count: 2 });
    expect(await outboxOf(db, orderId, "StockReserved")).toHaveLength(0);
    expect(await stockOf(db, storeId, "APPLE-1")).toEqual(before);
  });

  it("puts sold units back on the shelf when a committed order is released", async () => {
    const orderId = crypto.randomUUID();
    const lines = [{ sku: "APPLE-1", quantity: 1 }];
    const before = await stockOf(db, storeId, "APPLE-1");
    await publish(inventory, "ReserveStock", { orderId, storeId, lines, expiresAt: inMinutes(5) });
    await publish(inventory, "CommitStock", { orderId, storeId, lines });
    await publish(inventory, "ReleaseStock", { orderId, storeId, lines });
    await awaitOutbox(db, orderId, "StockReleased");
    expect(await stockOf(db, storeId, "APPLE-1")).toEqual(before);
  });

  it("releases a reservation nobody committed once it expires, and refuses the late commit", async () => {
    const orderId = crypto.randomUUID();
    const lines = [{ sku: "BREAD-1", quantity: 2 }];
    const expiresAt = new Date(Date.now() + 300).toISOString();
    const reservedBefore = (await stockOf(db, storeId, "BREAD-1")).reserved;
    await publish(inventory, "ReserveStock", { orderId, storeId, lines, expiresAt });
    await awaitOutbox(db, orderId, "StockReserved");
    const [released] = await awaitOutbox(db, orderId, "StockReleased");
    expect(released?.data).toMatchObject({ orderId, reason: "EXPIRED" });
    expect((await stockOf(db, storeId, "BREAD-1")).reserved).toBe(reservedBefore);

    await publish(inventory, "CommitStock", { orderId, storeId, lines });
    const [refused] = await awaitOutbox(db, orderId, "StockCommitFailed");
    expect(refused?.data).toEqual({ orderId, storeId, reason: "EXPIRED" });
  });

  it("keeps reserved + available + sold = received after all of the above", async () => {
    for (const row of await assertConservation(db, storeId)) {
      expect(row).toEqual({ sku: row.sku, balanced: true, reservedMatches: true, soldMatches: true });
    }
  });
});
