/**
 * Stock transfers between two inventory shard databases by two-phase commit: N transfers of one unit, C at a
 * time, spread over P store pairs (one store in each shard, one SKU per pair; P=1 makes every transfer
 * contend for the same two rows). Each is the coordinator's full work (log PREPARING, both sides applied and
 * PREPAREd, decision logged, COMMIT PREPARED on both, log COMMITTED), run in process against the real Postgres
 * in databases of its own, dropped afterwards. Prints transfers/s, p50/p99 of the prepare phase, of the
 * commit phase and of the whole transfer, the outcomes, and checks that units were conserved.
 * `npm run bench -- stock-transfer [N=500] [C=8] [P=8]`
 */
import type { Database } from "../../core/inventory/db/schema";
import { assignStoreShard, openShards } from "../../core/inventory/db/shards";
import { setOnHand } from "../../core/inventory/db/stock-repository";
import { inventoryService } from "../../core/inventory/main";
import { transferStock } from "../../core/inventory/use-cases/transfer-stock";
import { loadConfig } from "../../core/shared/config";
import { createDb, dropDatabase, ensureDatabase } from "../../core/shared/db";
import { migrateService } from "../../core/shared/runtime/service";
import { createLogger } from "../../core/shared/telemetry/logger";
import { ensureMachineServices } from "../infra/services";

const total = Number(process.argv[3] ?? 500);
const concurrency = Number(process.argv[4] ?? 8);
const pairs = Number(process.argv[5] ?? 8);
const machine = loadConfig();
await ensureMachineServices(machine.DATABASE_URL, machine.REDIS_URL);
const url = new URL(machine.DATABASE_URL);
url.pathname = `/qc_bench_transfer_${crypto.randomUUID().slice(0, 8)}`;
const config = loadConfig({
  ...process.env,
  DATABASE_URL: url.toString(),
  DB_POOL_MAX: String(2 * concurrency),
});
await ensureDatabase(config.DATABASE_URL);
await migrateService(inventoryService, config);
const home = createDb<Database>({ url: config.DATABASE_URL, schema: "inventory", poolMax: 2 * concurrency });
const shards = openShards(config, home);
const remote = shards.all[1];
if (!remote) throw new Error("INVENTORY_SHARDS names one shard; a transfer bench needs two");

const stores = Array.from({ length: pairs }, (_, index) => ({
  from: crypto.randomUUID(),
  to: crypto.randomUUID(),
  sku: `BENCH-${index}`,
}));
for (const pair of stores) {
  await assignStoreShard(home, pair.to, remote.name);
  await setOnHand(shards.home.db, pair.from, pair.sku, total);
}

const deps = {
  shards,
  prepareTimeoutMs: config.STOCK_TRANSFER_PREPARE_TIMEOUT_MS,
  logger: createLogger("bench", "error"),
};
const prepare: number[] = [];
const commit: number[] = [];
const whole: number[] = [];
const outcomes = new Map<string, number>();
let next = 0;
const worker = async () => {
  while (next < total) {
    const pair = stores[next++ % pairs] as (typeof stores)[number];
    const started = performance.now();
    const { transfer, phases } = await transferStock(deps, {
      fromStoreId: pair.from,
      toStoreId: pair.to,
      sku: pair.sku,
      quantity: 1,
      idempotencyKey: crypto.randomUUID(),
      requestedBy: crypto.randomUUID(),
    });
    whole.push(performance.now() - started);
    if (phases) {
      prepare.push(phases.prepareMs);
      commit.push(phases.finishMs);
    }
    const outcome = transfer.reason ? `${transfer.state} (${transfer.reason})` : transfer.state;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - started) / 1000;

const percentile = (values: number[], p: number) => {
  const sorted = values.toSorted((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(1);
};
const units = async (db: typeof home) =>
  Number(
    (await db.selectFrom("stock").select(db.fn.sum<number>("on_hand").as("units")).executeTakeFirst())
      ?.units ?? 0,
  );
const conserved = (await units(shards.home.db)) + (await units(remote.db)) === total * pairs;

console.log(`stock-transfer: ${total} transfers, ${concurrency} at a time, over ${pairs} store pair(s)`);
console.log(`  ${(total / seconds).toFixed(1)} transfers/s (${seconds.toFixed(2)} s)`);
console.log(`  prepare phase  p50 ${percentile(prepare, 50)} ms  p99 ${percentile(prepare, 99)} ms`);
console.log(`  commit phase   p50 ${percentile(commit, 50)} ms  p99 ${percentile(commit, 99)} ms`);
console.log(`  whole transfer p50 ${percentile(whole, 50)} ms  p99 ${percentile(whole, 99)} ms`);
console.log(`  outcomes: ${[...outcomes].map(([outcome, count]) => `${count} ${outcome}`).join(", ")}`);
console.log(`  units conserved across both databases: ${conserved ? "yes" : "NO"}`);

await shards.close();
await home.destroy();
await dropDatabase(config.DATABASE_URL, { derived: true });
process.exit(conserved ? 0 : 1);
