import type { StockTransferBody } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { AppError, conflict } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import { outboxCommitted } from "../../shared/outbox/wakeup";
import type { Logger } from "../../shared/telemetry/logger";
import { finishPrepared, gidOf, prepareTransaction } from "../db/prepared-transactions";
import type { Database, StockRow, StockTransferRow, TransferReason } from "../db/schema";
import type { Shard, Shards } from "../db/shards";
import { transferIn, transferOut } from "../db/stock-repository";
import { insertTransfer, moveTransfer, transferByKey } from "../db/transfer-repository";
import { levelsChanged } from "../domain/messages";

/** Where a crash test stops the coordinator: after every participant prepared, and after the decision is logged. */
export interface TransferFailpoints {
  afterPrepare?(transfer: StockTransferRow): Promise<void>;
  afterDecision?(transfer: StockTransferRow): Promise<void>;
}

export interface TransferDeps {
  shards: Shards;
  prepareTimeoutMs: number;
  logger: Logger;
  failpoints?: TransferFailpoints;
}

export interface TransferRequest extends StockTransferBody {
  idempotencyKey: string;
  requestedBy: string;
}

export interface TransferOutcome {
  transfer: StockTransferRow;
  /** How long the prepare phase and the commit (or rollback) phase took; absent for a repeated key. */
  phases?: { prepareMs: number; finishMs: number };
}

/** One participant: a shard and the stock rows this transfer changes there, applied in one transaction. */
interface Participant {
  shard: Shard;
  gid: string;
  apply(conn: Kysely<Database>): Promise<StockRow[] | null>;
}

const timeoutCodes = new Set(["55P03", "57014"]); // lock_not_available, query_canceled (statement_timeout)

/**
 * Moves units of a SKU from one store to another, atomically across the stores' shard databases, by two-phase
 * commit. The transfer is logged PREPARING (committed) under its idempotency key; each shard then applies its
 * side (the source only if that much is available, as a reservation would check) with StockLevelChanged in
 * its own outbox, and PREPAREs it, all within `prepareTimeoutMs`; the decision (COMMITTING, or ABORTING with
 * the reason) is committed to the log before any participant hears it; then COMMIT or ROLLBACK PREPARED. A
 * crash anywhere leaves the log and the prepared transactions for `recoverTransfers`. A repeated key answers
 * the transfer it started (409 while that one is undecided, 422 when the body differs).
 */
export async function transferStock(deps: TransferDeps, request: TransferRequest): Promise<TransferOutcome> {
  const { shards } = deps;
  if (request.fromStoreId === request.toStoreId) {
    const message = "must differ from fromStoreId";
    throw new AppError(422, "same_store", "A transfer needs two different stores", [
      { path: "toStoreId", message },
    ]);
  }
  const earlier = await transferByKey(shards.home.db, request.idempotencyKey);
  if (earlier) return { transfer: answerRepeat(earlier, request) };
  const [source, destination] = await Promise.all([
    shards.ofStore(request.fromStoreId),
    shards.ofStore(request.toStoreId),
  ]);
  const logged = await insertTransfer(shards.home.db, {
    transfer_id: Bun.randomUUIDv7(),
    idempotency_key: request.idempotencyKey,
    requested_by: request.requestedBy,
    from_store_id: request.fromStoreId,
    to_store_id: request.toStoreId,
    sku: request.sku,
    quantity: request.quantity,
    from_shard: source.name,
    to_shard: destination.name,
  });
  if (!logged) {
    const winner = await transferByKey(shards.home.db, request.idempotencyKey);
    if (!winner) throw conflict("idempotency_conflict", "A transfer with this key is still in progress");
    return { transfer: answerRepeat(winner, request) };
  }
  return runProtocol(deps, logged, participantsOf(logged, source, destination));
}

/** The earlier transfer of a key, once decided; 422 when the key came with another body, 409 while undecided. */
function answerRepeat(transfer: StockTransferRow, request: TransferRequest): StockTransferRow {
  const same =
    transfer.from_store_id === request.fromStoreId &&
    transfer.to_store_id === request.toStoreId &&
    transfer.sku === request.sku &&
    transfer.quantity === request.quantity;
  if (!same)
    throw new AppError(
      422,
      "idempotency_key_reused",
      "This Idempotency-Key was used with a different transfer",
    );
  if (transfer.state === "PREPARING")
    throw conflict("idempotency_conflict", "A transfer with this key is still in progress");
  return transfer;
}

/**
 * One participant per shard, in shard order; when both stores share a shard, one transaction there does
 * both sides.
 */
function participantsOf(transfer: StockTransferRow, source: Shard, destination: Shard): Participant[] {
  const { from_store_id, to_store_id, sku, quantity, transfer_id } = transfer;
  const takeOut = async (conn: Kysely<Database>) => {
    const row = await transferOut(conn, from_store_id, sku, quantity);
    return row ? [row] : null;
  };
  const putIn = async (conn: Kysely<Database>) => [await transferIn(conn, to_store_id, sku, quantity)];
  if (source === destination) {
    const both = async (conn: Kysely<Database>) => {
      const out = await takeOut(conn);
      return out && [...out, ...(await putIn(conn))];
    };
    return [{ shard: source, gid: gidOf(transfer_id, source.name), apply: both }];
  }
  const sides = [
    { shard: source, gid: gidOf(transfer_id, source.name), apply: takeOut },
    { shard: destination, gid: gidOf(transfer_id, destination.name), apply: putIn },
  ];
  // One lock order for every transfer (see prepareAll).
  return sides.toSorted((a, b) => a.shard.name.localeCompare(b.shard.name));
}

type PrepareResult = { prepared: true } | { prepared: false; reason: TransferReason };

async function runProtocol(
  deps: TransferDeps,
  transfer: StockTransferRow,
  participants: Participant[],
): Promise<TransferOutcome> {
  const home = deps.shards.home.db;
  const started = performance.now();
  // Set once the coordinator has given up waiting: participants that get as far as preparing later roll
  // back instead (and one that prepared anyway is rolled back below, or by recovery).
  const gaveUp = { value: false };
  const phaseOne = prepareAll(deps, transfer, participants, gaveUp);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), deps.prepareTimeoutMs);
  });
  const first = await Promise.race([phaseOne, deadline]);
  clearTimeout(timer);
  if (first === "timeout") gaveUp.value = true;
  // Phase one ends soon after the deadline: its lock and statement timeouts are the same length.
  const results = first === "timeout" ? await phaseOne : first;
  const prepareMs = performance.now() - started;

  const refusal = results.find((result) => !result.prepared);
  const reason: TransferReason | null =
    first === "timeout" ? "PREPARE_TIMEOUT" : refusal && !refusal.prepared ? refusal.reason : null;
  if (!reason) await deps.failpoints?.afterPrepare?.(transfer);
  // The decision is durable before any participant hears it; recovery may have aborted a transfer whose
  // prepare ran past its deadline, and then that is the decision.
  let decided = await moveTransfer(home, transfer.transfer_id, reason ? "ABORTING" : "COMMITTING", reason);
  if (decided.state === "COMMITTING") await deps.failpoints?.afterDecision?.(decided);

  const finishStarted = performance.now();
  const commit = decided.state === "COMMITTING" || decided.state === "COMMITTED";
  try {
    await Promise.all(
      participants.map((participant, index) =>
        results[index]?.prepared
          ? finishPrepared(participant.shard.db, participant.gid, commit ? "commit" : "rollback")
          : undefined,
      ),
    );
    if (commit) outboxCommitted();
    decided = await moveTransfer(home, transfer.transfer_id, commit ? "COMMITTED" : "ABORTED");
  } catch (error) {
    // Decided but not finished: recovery completes it from the log.
    deps.logger.warn({ err: error, transferId: transfer.transfer_id }, "stock transfer left to recovery");
  }
  return { transfer: decided, phases: { prepareMs, finishMs: performance.now() - finishStarted } };
}

/**
 * Phase one, one result per participant. Each participant's side is applied in a transaction on a
 * connection of its own, bounded by lock and statement timeouts, one participant after the other in shard
 * order while the earlier ones keep their row locks: every transfer takes its locks in the same order, so two
 * transfers can never wait on each other across two databases, a deadlock neither Postgres could see (it
 * would last until the lock timeout). Once all sides are applied they PREPARE at the same time. A short
 * source or a failure rolls every open side back instead.
 */
async function prepareAll(
  deps: TransferDeps,
  transfer: StockTransferRow,
  participants: Participant[],
  gaveUp: { value: boolean },
): Promise<PrepareResult[]> {
  const refuseAll = (reason: TransferReason) =>
    participants.map(() => ({ prepared: false, reason }) as const);
  const open = async (index: number, applied: Kysely<Database>[]): Promise<PrepareResult[]> => {
    const participant = participants[index];
    if (!participant) return prepareApplied(participants, applied, gaveUp);
    return participant.shard.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      try {
        const timeout = sql.lit(`${deps.prepareTimeoutMs}ms`);
        await sql`set local lock_timeout = ${timeout}`.execute(conn);
        await sql`set local statement_timeout = ${timeout}`.execute(conn);
        const rows = await participant.apply(conn);
        if (!rows) {
          await sql`rollback`.execute(conn);
          return refuseAll("INSUFFICIENT_STOCK");
        }
        const meta = { source: "inventory", correlationId: transfer.transfer_id };
        await enqueue(conn, ...levelsChanged(rows, meta));
        const results = await open(index + 1, [...applied, conn]);
        // Refused further in, this side is still open.
        if (!results[index]?.prepared) await sql`rollback`.execute(conn);
        return results;
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw error;
      }
    });
  };
  try {
    return await open(0, []);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    deps.logger.warn({ err: error, transferId: transfer.transfer_id }, "stock transfer did not prepare");
    return refuseAll(timeoutCodes.has(code) ? "PREPARE_TIMEOUT" : "PARTICIPANT_FAILED");
  }
}

/**
 * PREPAREs every applied side at once (their fsyncs overlap), or rolls them all back when the coordinator
 * has given up meanwhile. A side whose PREPARE fails is rolled back by Postgres itself.
 */
async function prepareApplied(
  participants: Participant[],
  applied: Kysely<Database>[],
  gaveUp: { value: boolean },
): Promise<PrepareResult[]> {
  if (gaveUp.value) {
    await Promise.all(applied.map((conn) => sql`rollback`.execute(conn)));
    return participants.map(() => ({ prepared: false, reason: "PREPARE_TIMEOUT" }));
  }
  const settled = await Promise.allSettled(
    participants.map((participant, index) =>
      prepareTransaction(applied[index] as Kysely<Database>, participant.gid),
    ),
  );
  return settled.map((outcome) =>
    outcome.status === "fulfilled" ? { prepared: true } : { prepared: false, reason: "PARTICIPANT_FAILED" },
  );
}
