import { outboxCommitted } from "../../shared/outbox/wakeup";
import type { Logger } from "../../shared/telemetry/logger";
import { finishPrepared, preparedTransfers } from "../db/prepared-transactions";
import type { Shard, Shards } from "../db/shards";
import { moveTransfer, transfersByIds, unfinishedTransfers } from "../db/transfer-repository";

export interface RecoveryDeps {
  shards: Shards;
  prepareTimeoutMs: number;
  logger: Logger;
}

/**
 * Resolves the transfers a coordinator left undecided or unfinished (it crashed, or lost a database for a
 * while), from the log, with presumed abort: a transaction prepared under a transfer whose log holds no
 * commit decision is rolled back; a logged COMMITTING is committed in every shard. A transfer still
 * PREPARING is left alone until twice its prepare timeout has passed (its coordinator may be alive and
 * about to decide), then aborted: the log row decides which of the two gets there first. Runs at start-up
 * and then every STOCK_TRANSFER_RECOVERY_INTERVAL_MS.
 */
export async function recoverTransfers(deps: RecoveryDeps): Promise<{ committed: number; aborted: number }> {
  const home = deps.shards.home.db;
  const inDoubt = new Map<string, { shard: Shard; gid: string }[]>();
  for (const shard of deps.shards.all) {
    for (const { gid, transferId } of await preparedTransfers(shard.db)) {
      inDoubt.set(transferId, [...(inDoubt.get(transferId) ?? []), { shard, gid }]);
    }
  }
  const unfinished = await unfinishedTransfers(home, 2 * deps.prepareTimeoutMs);
  const logged = new Map(
    (await transfersByIds(home, [...inDoubt.keys()])).map((row) => [row.transfer_id, row]),
  );
  for (const row of unfinished) logged.set(row.transfer_id, row);
  const stale = new Set(unfinished.filter((row) => row.stale).map((row) => row.transfer_id));

  const outcome = { committed: 0, aborted: 0 };
  for (const transferId of new Set([...inDoubt.keys(), ...logged.keys()])) {
    let row = logged.get(transferId);
    if (row?.state === "PREPARING") {
      if (!stale.has(transferId)) continue;
      row = await moveTransfer(home, transferId, "ABORTING", "PREPARE_TIMEOUT");
      if (row.state === "PREPARING") continue;
    }
    // No log row at all: the coordinator never got as far as logging it, so nothing can have committed.
    const commit = row?.state === "COMMITTING" || row?.state === "COMMITTED";
    for (const { shard, gid } of inDoubt.get(transferId) ?? [])
      await finishPrepared(shard.db, gid, commit ? "commit" : "rollback");
    if (row) await moveTransfer(home, transferId, commit ? "COMMITTED" : "ABORTED");
    outcome[commit ? "committed" : "aborted"]++;
    deps.logger.info({ transferId, decision: commit ? "commit" : "abort" }, "stock transfer recovered");
  }
  if (outcome.committed > 0) outboxCommitted();
  return outcome;
}
