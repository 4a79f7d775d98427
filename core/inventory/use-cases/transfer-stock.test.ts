import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createMessage } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { createDb } from "../../shared/db";
import { transact } from "../../shared/db/transaction";
import { migrateService } from "../../shared/runtime/service";
import { createLogger } from "../../shared/telemetry/logger";
import { type TestEnvironment, testEnvironment } from "../../shared/testing/service";
import type { Database } from "../db/schema";
import { assignStoreShard, openShards, type Shards } from "../db/shards";
import { setOnHand } from "../db/stock-repository";
import { transferById } from "../db/transfer-repository";
import { inventoryService } from "../main";
import { countersOf, preparedGids } from "../testing/transfer-fixture";
import { reserveStock } from "./reserve-stock";
import { type TransferRequest, transferStock } from "./transfer-stock";

const PREPARE_TIMEOUT_MS = 1_000;
const admin = crypto.randomUUID();

describe("stock transfer between two shard databases (two-phase commit)", () => {
  let env: TestEnvironment;
  let home: Kysely<Database>;
  let shards: Shards;
  const logger = createLogger("transfer-test", "silent");
  const deps = () => ({ shards, prepareTimeoutMs: PREPARE_TIMEOUT_MS, logger });
  const eu1 = () => shards.home.db;
  const eu2 = () => shards.byName("eu2")?.db as Kysely<Database>;

  /** A store in each shard, `units` of the SKU in the first and none in the second. */
  async function storesWith(sku: string, units: number) {
    const from = crypto.randomUUID();
    const to = crypto.randomUUID();
    await assignStoreShard(home, to, "eu2");
    await setOnHand(eu1(), from, sku, units);
    return { from, to };
  }
  const request = (from: string, to: string, sku: string, quantity: number): TransferRequest => ({
    fromStoreId: from,
    toStoreId: to,
    sku,
    quantity,
    idempotencyKey: crypto.randomUUID(),
    requestedBy: admin,
  });
  /** Units of the SKU on hand in both stores together, and whether each store's books balance. */
  async function books(from: string, to: string, sku: string) {
    const source = await countersOf(eu1(), from, sku);
    const destination = await countersOf(eu2(), to, sku);
    return {
      source: source.on_hand,
      destination: destination.on_hand,
      total: source.on_hand + destination.on_hand,
      balanced: [source, destination].every((c) => c.received === c.on_hand + c.sold),
    };
  }

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_stock_transfer",
      env: {
        STOCK_TRANSFER_PREPARE_TIMEOUT_MS: String(PREPARE_TIMEOUT_MS),
        STOCK_TRANSFER_RECOVERY_INTERVAL_MS: "200",
        DB_POOL_MAX: "20",
      },
    });
    await migrateService(inventoryService, env.config);
    home = createDb<Database>({ url: env.config.DATABASE_URL, schema: "inventory", poolMax: 20 });
    shards = openShards(env.config, home);
  });
  afterAll(async () => {
    await shards.close();
    await home.destroy();
    await env.stop();
  });

  it("keeps each store's stock in its own database", async () => {
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(eu2());
    expect(rows[0]?.db).toBe(`${new URL(env.config.DATABASE_URL).pathname.slice(1)}_inventory_eu2`);
    const to = crypto.randomUUID();
    await assignStoreShard(home, to, "eu2");
    expect((await shards.ofStore(to)).name).toBe("eu2");
    expect((await shards.ofStore(crypto.randomUUID())).name).toBe("eu1");
  });

  it("commits a transfer on both sides, with the stock change in each shard's outbox", async () => {
    const { from, to } = await storesWith("MILK-1L", 10);
    const { transfer } = await transferStock(deps(), request(from, to, "MILK-1L", 4));
    expect(transfer.state).toBe("COMMITTED");
    expect(await books(from, to, "MILK-1L")).toEqual({
      source: 6,
      destination: 4,
      total: 10,
      balanced: true,
    });
    for (const [db, storeId, onHand] of [
      [eu1(), from, 6],
      [eu2(), to, 4],
    ] as const) {
      const changes = await db
        .selectFrom("outbox")
        .select(sql<{ storeId: string; onHand: number }>`payload->'data'`.as("data"))
        .where("type", "=", "StockLevelChanged")
        .where(sql<boolean>`payload->>'correlationId' = ${transfer.transfer_id}`)
        .execute();
      expect(changes.map((change) => [change.data.storeId, change.data.onHand])).toEqual([[storeId, onHand]]);
    }
    expect(await preparedGids(shards)).toEqual([]);
  });

  it("rolls both sides back when the source cannot prepare (not enough available)", async () => {
    const { from, to } = await storesWith("EGGS-12", 3);
    const { transfer } = await transferStock(deps(), request(from, to, "EGGS-12", 5));
    expect([transfer.state, transfer.reason]).toEqual(["ABORTED", "INSUFFICIENT_STOCK"]);
    expect(await books(from, to, "EGGS-12")).toEqual({ source: 3, destination: 0, total: 3, balanced: true });
    expect(await preparedGids(shards)).toEqual([]);
  });

  for (const [failing, other] of [
    ["eu2", "eu1"],
    ["eu1", "eu2"],
  ] as const) {
    it(`rolls the prepared ${other} side back when ${failing} fails its PREPARE`, async () => {
      const sku = `FAIL-${failing.toUpperCase()}`;
      const { from, to } = await storesWith(sku, 8);
      const db = failing === "eu1" ? eu1() : eu2();
      // A deferred check runs at PREPARE: after a pause (so the other side has prepared by then), it fails.
      await sql`create or replace function fail_at_prepare() returns trigger language plpgsql as $$
        begin perform pg_sleep(0.3); raise exception 'shard disk full'; end $$`.execute(db);
      await sql`create constraint trigger fail_at_prepare after insert or update on stock
        deferrable initially deferred for each row when (new.sku = ${sql.lit(sku)})
        execute function fail_at_prepare()`.execute(db);
      let sawOtherPrepared = false;
      let watching = true;
      const watcher = (async () => {
        while (watching && !sawOtherPrepared) {
          sawOtherPrepared = (await preparedGids(shards)).some((gid) => gid.endsWith(`_${other}`));
          await Bun.sleep(10);
        }
      })();
      const { transfer } = await transferStock(deps(), request(from, to, sku, 2));
      watching = false;
      await watcher;
      await sql`drop trigger fail_at_prepare on stock`.execute(db);
      expect(sawOtherPrepared).toBe(true);
      expect([transfer.state, transfer.reason]).toEqual(["ABORTED", "PARTICIPANT_FAILED"]);
      expect(await books(from, to, sku)).toEqual({ source: 8, destination: 0, total: 8, balanced: true });
      expect(await preparedGids(shards)).toEqual([]);
    });
  }

  it("aborts when a participant does not prepare within its timeout (a row lock held elsewhere)", async () => {
    const { from, to } = await storesWith("RICE-5KG", 10);
    await setOnHand(eu2(), to, "RICE-5KG", 1);
    // Another session holds the destination row until well past the prepare timeout.
    const holder = eu2()
      .transaction()
      .execute(async (trx) => {
        await sql`select 1 from stock where store_id = ${to} and sku = 'RICE-5KG' for update`.execute(trx);
        await Bun.sleep(3 * PREPARE_TIMEOUT_MS);
      });
    await Bun.sleep(50);
    const started = performance.now();
    const { transfer } = await transferStock(deps(), request(from, to, "RICE-5KG", 4));
    const took = performance.now() - started;
    expect([transfer.state, transfer.reason]).toEqual(["ABORTED", "PREPARE_TIMEOUT"]);
    expect(took).toBeLessThan(2 * PREPARE_TIMEOUT_MS);
    expect(await preparedGids(shards)).toEqual([]);
    await holder;
    expect(await books(from, to, "RICE-5KG")).toEqual({
      source: 10,
      destination: 1,
      total: 11,
      balanced: true,
    });
  });

  describe("a coordinator killed (SIGKILL) mid-protocol, then recovery at the service's restart", () => {
    async function killAt(failpoint: string, transfer: TransferRequest) {
      const child = Bun.spawn(
        [process.execPath, `${import.meta.dir}/../testing/transfer-process.ts`, JSON.stringify(transfer)],
        {
          env: {
            ...process.env,
            DATABASE_URL: env.config.DATABASE_URL,
            STOCK_TRANSFER_PREPARE_TIMEOUT_MS: String(PREPARE_TIMEOUT_MS),
            STOCK_TRANSFER_FAILPOINT: failpoint,
            NODE_ENV: "test",
          },
          stdout: "pipe",
          stderr: "inherit",
        },
      );
      const reader = child.stdout.getReader();
      let output = "";
      while (!output.includes(`failpoint ${failpoint}`)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`coordinator exited before ${failpoint}: ${output}`);
        output += new TextDecoder().decode(value);
      }
      // Both participants are prepared and hold their rows: exactly what a crash here leaves behind.
      const prepared = await preparedGids(shards);
      child.kill("SIGKILL");
      await child.exited;
      return prepared;
    }
    async function restartUntilResolved(transferId: string) {
      const inventory = await env.start(inventoryService);
      try {
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          const row = await transferById(home, transferId);
          if (
            (row?.state === "COMMITTED" || row?.state === "ABORTED") &&
            (await preparedGids(shards)).length === 0
          )
            return row;
          await Bun.sleep(100);
        }
        throw new Error(`transfer ${transferId} not resolved after restart`);
      } finally {
        await inventory.stop();
      }
    }

    it("rolls back both prepared transactions when no commit decision was logged (presumed abort)", async () => {
      const { from, to } = await storesWith("APPLE-1KG", 9);
      const transfer = request(from, to, "APPLE-1KG", 5);
      const prepared = await killAt("after-prepare", transfer);
      expect(prepared.toSorted().map((gid) => gid.slice(-3))).toEqual(["eu1", "eu2"]);
      const logged = await home
        .selectFrom("stock_transfers")
        .selectAll()
        .where("idempotency_key", "=", transfer.idempotencyKey)
        .executeTakeFirstOrThrow();
      expect(logged.state).toBe("PREPARING");

      const resolved = await restartUntilResolved(logged.transfer_id);
      expect(resolved.state).toBe("ABORTED");
      expect(await books(from, to, "APPLE-1KG")).toEqual({
        source: 9,
        destination: 0,
        total: 9,
        balanced: true,
      });
    });

    it("commits both prepared transactions when the commit decision was logged", async () => {
      const { from, to } = await storesWith("PEAR-1KG", 9);
      const transfer = request(from, to, "PEAR-1KG", 5);
      const prepared = await killAt("after-decision", transfer);
      expect(prepared).toHaveLength(2);
      const logged = await home
        .selectFrom("stock_transfers")
        .selectAll()
        .where("idempotency_key", "=", transfer.idempotencyKey)
        .executeTakeFirstOrThrow();
      expect(logged.state).toBe("COMMITTING");

      const resolved = await restartUntilResolved(logged.transfer_id);
      expect(resolved.state).toBe("COMMITTED");
      expect(await books(from, to, "PEAR-1KG")).toEqual({
        source: 4,
        destination: 5,
        total: 9,
        balanced: true,
      });
    });
  });

  it("never oversells while transfers and checkout reservations take the same SKU at once", async () => {
    const { from, to } = await storesWith("HOT-1", 100);
    let lowest = Number.POSITIVE_INFINITY;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { on_hand, reserved } = await countersOf(eu1(), from, "HOT-1");
        lowest = Math.min(lowest, on_hand - reserved);
        await Bun.sleep(5);
      }
    })();
    // 40 transfers of 3 and 60 one-unit reservations: 180 units wanted, 100 there.
    const transfers = Array.from({ length: 40 }, () => transferStock(deps(), request(from, to, "HOT-1", 3)));
    const reservations = Array.from({ length: 60 }, () => {
      const orderId = crypto.randomUUID();
      const command = createMessage(
        "ReserveStock",
        {
          orderId,
          storeId: from,
          lines: [{ sku: "HOT-1", quantity: 1 }],
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
        },
        { source: "test", correlationId: orderId },
      );
      // As its consumer runs it: in a transaction of transact, which writes its stock levels at the end.
      return transact(home, (trx) => reserveStock(trx, command));
    });
    const outcomes = await Promise.all(transfers);
    await Promise.all(reservations);
    sampling = false;
    await sampler;

    const committed = outcomes.filter(({ transfer }) => transfer.state === "COMMITTED").length;
    const source = await countersOf(eu1(), from, "HOT-1");
    const destination = await countersOf(eu2(), to, "HOT-1");
    expect(
      outcomes.every(({ transfer }) => transfer.state === "COMMITTED" || transfer.state === "ABORTED"),
    ).toBe(true);
    expect(committed).toBeGreaterThan(0);
    expect(source.reserved).toBeGreaterThan(0);
    expect(destination.on_hand).toBe(3 * committed);
    expect(source.on_hand + destination.on_hand).toBe(100);
    expect(source.reserved + 3 * committed).toBeLessThanOrEqual(100);
    expect(source.on_hand - source.reserved).toBeGreaterThanOrEqual(0);
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(await preparedGids(shards)).toEqual([]);
  });
});
