// A stock transfer's coordinator in its own process, so a test can SIGKILL it at a chosen moment. Config from
// the environment (the test environment's), the transfer as JSON in argv[2]. STOCK_TRANSFER_FAILPOINT=
// after-prepare | after-decision prints "failpoint <name>" when the coordinator gets there and then waits
// for the kill: every participant prepared and no decision logged, or the commit decision logged and no
// participant told.
import { loadConfig } from "../../shared/config";
import { createDb } from "../../shared/db";
import { createLogger } from "../../shared/telemetry/logger";
import type { Database } from "../db/schema";
import { openShards } from "../db/shards";
import { type TransferRequest, transferStock } from "../use-cases/transfer-stock";

const config = loadConfig();
const shards = openShards(config, createDb<Database>({ url: config.DATABASE_URL, schema: "inventory" }));
const failpoint = process.env.STOCK_TRANSFER_FAILPOINT;
const stopHere = (name: string) => async () => {
  if (failpoint !== name) return;
  console.log(`failpoint ${name}`);
  await new Promise(() => {});
};
const { transfer } = await transferStock(
  {
    shards,
    prepareTimeoutMs: config.STOCK_TRANSFER_PREPARE_TIMEOUT_MS,
    logger: createLogger("transfer-process", "warn"),
    failpoints: { afterPrepare: stopHere("after-prepare"), afterDecision: stopHere("after-decision") },
  },
  JSON.parse(process.argv[2] ?? "") as TransferRequest,
);
console.log(`finished ${transfer.state}`);
process.exit(0);
