import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createMessage } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { OneByOne } from "../../shared/consumer/one-by-one";
import { createDb } from "../../shared/db";
import { transact } from "../../shared/db/transaction";
import { type TestEnvironment, type TestService, testEnvironment } from "../../shared/testing/service";
import { claimAndHold } from "../db/reservation-repository";
import type { Database } from "../db/schema";
import { lockStockRows, reserveLine } from "../db/stock-repository";
import { inventoryService } from "../main";
import { receive, stockOf } from "../testing/stock-fixture";
import { claimAhead, reserveStock } from "./reserve-stock";

describe("reserving one hot SKU from many transactions at once", () => {
  let env: TestEnvironment;
  let inventory: TestService;
  let db: Kysely<Database>;
  const storeId = crypto.randomUUID();

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_saga_participants" });
    inventory = await env.start(inventoryService);
    // A pool of its own, wide enough that the reservations really contend for the row.
    db = createDb<Database>({ url: env.config.DATABASE_URL, schema: "inventory", poolMax: 20 });
    await receive(inventory, storeId, { "HOT-1": 20 });
  });
  afterAll(async () => {
    await db.destroy();
    await env.stop();
  });

  it("lets exactly 20 of 200 one-unit reservations through against 20 units, never going negative", async () => {
    let lowest = Number.POSITIVE_INFINITY;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await sql<{ available: number }>`
          select on_hand - reserved as available from stock where store_id = ${storeId} and sku = 'HOT-1'`.execute(
          db,
        );
        lowest = Math.min(lowest, rows[0]?.available ?? 0);
        await Bun.sleep(2);
      }
    })();
    const orders = Array.from({ length: 200 }, () => crypto.randomUUID());
    await Promise.all(
      orders.map((orderId) => {
        const command = createMessage(
          "ReserveStock",
          {
            orderId,
            storeId,
            lines: [{ sku: "HOT-1", quantity: 1 }],
            expiresAt: new Date(Date.now() + 60_000).toISOString(),
          },
          { source: "test", correlationId: orderId },
        );
        return transact(db, (trx) => reserveStock(trx, command));
      }),
    );
    sampling = false;
    await sampler;

    const answers = await db
      .selectFrom("outbox")
      .select(["type", db.fn.countAll<number>().as("count")])
      .where("key", "in", orders)
      .groupBy("type")
      .execute();
    expect(Object.fromEntries(answers.map((a) => [a.type, Number(a.count)]))).toEqual({
      StockReserved: 20,
      StockReservationFailed: 180,
    });
    expect(await stockOf(db, storeId, "HOT-1")).toEqual({ on_hand: 20, reserved: 20, received: 20, sold: 0 });
    expect(lowest).toBeGreaterThanOrEqual(0);
  });

  it("refuses at the database any change that would make stock negative", async () => {
    const oversell = sql`update stock set reserved = reserved + 1 where store_id = ${storeId} and sku = 'HOT-1'`;
    await expect(oversell.execute(db)).rejects.toThrow(/stock_available_nonnegative/);
  });

  it("claims and holds in one statement, line after line, stopping at the first short one", async () => {
    await receive(inventory, storeId, { "A-1": 5, "B-1": 1, "C-1": 5 });
    const lines = [
      { sku: "A-1", quantity: 2 },
      { sku: "B-1", quantity: 3 },
      { sku: "C-1", quantity: 2 },
    ];
    const orderId = crypto.randomUUID();
    const reservation = { orderId, storeId, lines, expiresAt: new Date(Date.now() + 60_000) };
    await transact(db, async (trx) => {
      const first = await claimAndHold(trx, reservation);
      // A-1 held; B-1 short; C-1, though in stock, never tried.
      expect(first.claimed).toBe(true);
      expect(first.held.map((row) => [row.sku, row.reserved])).toEqual([["A-1", 2]]);
      expect(await stockOf(trx, storeId, "C-1")).toMatchObject({ reserved: 0 });
      // The order is claimed now: a second try holds nothing.
      const again = await claimAndHold(trx, reservation);
      expect(again).toEqual({ claimed: false, held: [] });
      expect(await stockOf(trx, storeId, "A-1")).toMatchObject({ reserved: 2 });
      throw new Error("undo");
    }).catch((error) => {
      if ((error as Error).message !== "undo") throw error;
    });
    expect(await stockOf(db, storeId, "A-1")).toMatchObject({ reserved: 0 });
  });

  it("has two batches holding each other's SKUs queue on the stock rows instead of deadlocking", async () => {
    await receive(inventory, storeId, { "PAIR-A": 10, "PAIR-B": 10 });
    const one = (sku: string) => ({ sku, quantity: 1 });
    const rows = [
      { storeId, sku: "PAIR-B" },
      { storeId, sku: "PAIR-A" },
    ];
    // Each batch's commands come in order-id order: the first holds B then A, the second A then B.
    const first = transact(db, async (trx) => {
      await lockStockRows(trx, rows);
      await reserveLine(trx, storeId, one("PAIR-B"));
      await Bun.sleep(200);
      await reserveLine(trx, storeId, one("PAIR-A"));
    });
    const second = transact(db, async (trx) => {
      await Bun.sleep(50);
      await lockStockRows(trx, rows.toReversed());
      await reserveLine(trx, storeId, one("PAIR-A"));
      await reserveLine(trx, storeId, one("PAIR-B"));
    });
    // Without the locks taken first, Postgres finds the cycle and fails one of them (40P01).
    await Promise.all([first, second]);
    expect(await stockOf(db, storeId, "PAIR-A")).toMatchObject({ reserved: 2 });
    expect(await stockOf(db, storeId, "PAIR-B")).toMatchObject({ reserved: 2 });
  });

  const command = (
    type: "ReserveStock" | "ReleaseStock",
    orderId: string,
    lines: { sku: string; quantity: number }[],
  ) =>
    createMessage(
      type,
      { orderId, storeId, lines, expiresAt: new Date(Date.now() + 60_000).toISOString() },
      { source: "test", correlationId: orderId },
    ) as ReturnType<typeof createMessage<"ReserveStock">>;
  const answersTo = async (orderIds: string[]) =>
    (
      await db
        .selectFrom("outbox")
        .select(["key", "type"])
        .where("key", "in", orderIds)
        .where("type", "like", "StockReserv%")
        .execute()
    )
      .map(({ key, type }) => `${orderIds.indexOf(key ?? "")}:${type}`)
      .sort();

  it("claims a batch's fresh orders ahead, in its order, and each command answers with its own claim", async () => {
    await receive(inventory, storeId, { "AHEAD-1": 3 });
    const orders = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const released = crypto.randomUUID();
    const batch = [
      ...orders.map((orderId) => command("ReserveStock", orderId, [{ sku: "AHEAD-1", quantity: 1 }])),
      // An order released before its reserve in the same batch is not claimed ahead: its reserve must see that.
      command("ReleaseStock", released, [{ sku: "AHEAD-1", quantity: 1 }]),
      command("ReserveStock", released, [{ sku: "AHEAD-1", quantity: 1 }]),
    ];
    await transact(db, async (trx) => {
      await claimAhead(trx, batch);
      // Claimed and held before any command's turn.
      expect(await stockOf(trx, storeId, "AHEAD-1")).toMatchObject({ reserved: 3 });
      const claimed = await trx
        .selectFrom("reservations")
        .select("order_id")
        .where("order_id", "in", [...orders, released])
        .execute();
      expect(claimed.map((row) => row.order_id).sort()).toEqual([...orders].sort());
      for (const reserve of batch.slice(0, 3)) await reserveStock(trx, reserve);
    });
    expect(await answersTo(orders)).toEqual(["0:StockReserved", "1:StockReserved", "2:StockReserved"]);
    // Each took its claim rather than answering from the reservation it found: only a claim announces a level.
    expect(await stockOf(db, storeId, "AHEAD-1")).toMatchObject({ reserved: 3 });
    const levels = await db
      .selectFrom("outbox")
      .select("payload")
      .where("type", "=", "StockLevelChanged")
      .execute();
    const announced = levels.map(
      (row) => (row.payload as { data: { storeId: string; sku: string; reserved: number } }).data,
    );
    expect(
      announced
        .filter((level) => level.storeId === storeId && level.sku === "AHEAD-1")
        .map((level) => level.reserved),
    ).toContain(3);
  });

  it("hands a batch back one by one when an order claimed ahead is short, so stock it gives back is seen", async () => {
    await receive(inventory, storeId, { "AHEAD-X": 1, "AHEAD-Y": 0 });
    const [partial, after] = [crypto.randomUUID(), crypto.randomUUID()];
    // The first holds X, is short of Y and gives X back; one after another, the second then holds X.
    const batch = [
      command("ReserveStock", partial, [
        { sku: "AHEAD-X", quantity: 1 },
        { sku: "AHEAD-Y", quantity: 1 },
      ]),
      command("ReserveStock", after, [{ sku: "AHEAD-X", quantity: 1 }]),
    ];
    const together = transact(db, async (trx) => {
      await claimAhead(trx, batch);
      for (const reserve of batch) await reserveStock(trx, reserve);
    });
    await expect(together).rejects.toBeInstanceOf(OneByOne);
    expect(await stockOf(db, storeId, "AHEAD-X")).toMatchObject({ reserved: 0 });
    for (const reserve of batch) await transact(db, (trx) => reserveStock(trx, reserve));
    expect(await answersTo([partial, after])).toEqual(["0:StockReservationFailed", "1:StockReserved"]);
  });
});
