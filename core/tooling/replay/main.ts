import { parseArgs } from "node:util";
import { PROJECTIONS, type ProjectionName } from "../../order/db/projections";
import type { Database } from "../../order/db/schema";
import { type ReplayProgress, replayProjection } from "../../order/use-cases/replay-projection";
import { loadConfig } from "../../shared/config";
import { createDb } from "../../shared/db";

const names = Object.keys(PROJECTIONS);
const usage = `usage: bun core/tooling/replay/main.ts <projection> [--replace] [--batch N]
<projection>: ${names.join(", ")}
Rebuilds the projection from the order event store into a fresh table while the service runs, catches up,
compares it with the live table row for row and swaps it in when they are equal. --replace swaps it in even
when they differ (a changed fold, a repair, or a back-fill of a new projection).`;

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { replace: { type: "boolean" }, batch: { type: "string" } },
  allowPositionals: true,
});
const [name] = positionals;
if (!name || !names.includes(name) || positionals.length > 1) {
  console.error(usage);
  process.exit(2);
}

const tty = process.stdout.isTTY;
const progress = ({ phase, orders, total, ordersPerSecond }: ReplayProgress) => {
  const percent = total === 0 ? 100 : Math.floor((orders / total) * 100);
  const line = `${phase}: ${orders.toLocaleString()}/${total.toLocaleString()} orders (${percent}%), ${ordersPerSecond.toLocaleString()} orders/s`;
  if (tty) process.stdout.write(`\r${line}\u001b[K`);
  else console.log(line);
};

const config = loadConfig();
const db = createDb<Database>({
  url: config.DATABASE_URL,
  schema: "order",
  poolMax: 2,
  applicationName: "replay",
});
try {
  const outcome = await replayProjection(db, name as ProjectionName, {
    replace: values.replace === true,
    ...(values.batch ? { batchSize: Number(values.batch) } : {}),
    onProgress: progress,
  });
  if (tty) process.stdout.write("\n");
  const seconds = (outcome.elapsedMs / 1000).toFixed(2);
  console.log(
    `${outcome.table}: ${outcome.orders.toLocaleString()} orders rebuilt, ${outcome.caughtUp} caught up; ` +
      `${outcome.onlyLive} rows only in the live table, ${outcome.onlyRebuilt} only in the rebuilt one`,
  );
  if (outcome.differing.length > 0)
    console.log(`differing orders (first ${outcome.differing.length}): ${outcome.differing.join(" ")}`);
  if (outcome.swapped) {
    console.log(
      `swapped in: ${outcome.table} is the rebuilt table (the old one is ${outcome.table}_previous); ` +
        `lock held ${outcome.lockedMs.toFixed(0)} ms; took ${seconds} s`,
    );
  } else {
    console.log(
      `not swapped: the tables differ (see ${outcome.table}_rebuild; --replace to swap anyway); took ${seconds} s`,
    );
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`replay ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
