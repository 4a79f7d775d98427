/**
 * The single hot-SKU case of inventory: N reservations of one unit of one SKU, C at a time, each its own
 * transaction against the real Postgres (the same reserveStock the consumer runs, outbox write included).
 * Stock is N/2, so half succeed and half are refused. Prints reservations/s and p50/p99 latency.
 * With B > 1 each transaction carries B reservations, as the consumer batches a busy partition.
 * `bun scripts/bench.ts hot-sku [N=1000] [C=32] [B=1]`
 */
import { createMessage } from "@qc/contracts";
import { sql } from "kysely";
import type { Database } from "../../core/inventory/db/schema";
import { inventoryService } from "../../core/inventory/main";
import { reserveStock } from "../../core/inventory/use-cases/reserve-stock";
import { loadConfig } from "../../core/shared/config";
import { createDb, ensureDatabase } from "../../core/shared/db";
import { migrateSchema } from "../../core/shared/db/migrate";
import { transact } from "../../core/shared/db/transaction";

const total = Number(process.argv[3] ?? 1000);
const concurrency = Number(process.argv[4] ?? 32);
const batch = Number(process.argv[5] ?? 1);
const url = new URL(loadConfig().DATABASE_URL);
url.pathname = "/quickcommerce_bench";
await ensureDatabase(url.toString());
const db = createDb<Database>({ url: url.toString(), schema: "inventory", poolMax: concurrency });
await migrateSchema(db, "inventory", inventoryService.migrations);

const storeId = crypto.randomUUID();
await db
  .insertInto("stock")
  .values({ store_id: storeId, sku: "HOT-1", on_hand: total / 2, received: total / 2 })
  .execute();
const expiresAt = new Date(Date.now() + 3_600_000).toISOString();

const latencies: number[] = [];
let next = 0;
const reservation = () => {
  const orderId = crypto.randomUUID();
  return createMessage(
    "ReserveStock",
    { orderId, storeId, expiresAt, lines: [{ sku: "HOT-1", quantity: 1 }] },
    { source: "bench", correlationId: orderId },
  );
};
const worker = async () => {
  while (next < total) {
    const commands = Array.from({ length: Math.min(batch, total - next) }, reservation);
    next += commands.length;
    const started = performance.now();
    await transact(db, async (trx) => {
      for (const command of commands) await reserveStock(trx, command);
    });
    // Every reservation of a batch is answered when its transaction commits.
    for (const _ of commands) latencies.push(performance.now() - started);
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - started) / 1000;

const row = await db
  .selectFrom("stock")
  .select(["on_hand", "reserved"])
  .where("store_id", "=", storeId)
  .executeTakeFirstOrThrow();
latencies.sort((a, b) => a - b);
const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
console.log(
  `hot-sku: ${total} reservations, concurrency ${concurrency}, ${batch} per transaction: ${(total / seconds).toFixed(0)} reservations/s, ` +
    `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms; ` +
    `reserved ${row.reserved}/${row.on_hand} (available ${row.on_hand - row.reserved})`,
);
// The bench's rows are throwaway; keep the bench database small across runs.
await sql`truncate stock, reservations, outbox`.execute(db);
await db.destroy();
