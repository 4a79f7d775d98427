import {
  type CompletePickTaskBody,
  createMessage,
  type PickTaskItem,
  type PickTaskView,
} from "@qc/contracts";
import { sql } from "kysely";
import { transact } from "../../shared/db/transaction";
import { AppError, conflict, forbidden, notFound } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import type { Delivery, WorkQueues } from "../../shared/queue";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { withWorkItemSpan } from "../../shared/telemetry/messaging";
import { forOrder } from "../../shared/telemetry/scope";
import { findDeliveryTrace } from "../db/delivery-repository";
import {
  claimTask,
  findTask,
  heldBy,
  lockTask,
  packTask,
  pickTaskView,
  releaseTask,
} from "../db/pick-task-repository";
import type { Database } from "../db/schema";
import { replyTo } from "../domain/messages";
import { checkBag, type FieldError, onLapsed, onTaken, type Settlement } from "../domain/picking";
import { inCheckoutTrace } from "./checkout-trace";
import type { SubstituteDesk } from "./substitute-desk";

type TaskRow = NonNullable<Awaited<ReturnType<typeof findTask>>>;

const ownsPacked = (task: TaskRow | undefined, pickerId: string): task is TaskRow =>
  task?.status === "PACKED" && task.picker_id === pickerId;

/** The task, if `pickerId` holds a live claim on it; else why not (404, 403 another's claim, 409 lapsed). */
function claimedBy(task: TaskRow | undefined, pickerId: string): TaskRow {
  if (!task) throw notFound("pick task");
  const mine = task.picker_id === pickerId;
  if (task.status === "CLAIMED" && !task.lapsed && !mine) throw forbidden("another picker holds this task");
  if (task.status !== "CLAIMED" || task.lapsed)
    throw conflict("claim_lapsed", "You hold no claim on this task; claim the next task");
  return task;
}

const invalidPick = (errors: FieldError[]) =>
  new AppError(422, "invalid_pick", "The picked lines do not match the order", errors);

const settle = (item: Delivery<PickTaskItem>, how: Settlement) =>
  how === "done" ? item.ack() : how === "later" ? item.retryLater() : item.deadLetter();

/**
 * The pick tasks this instance hands to pickers. A claim takes the store queue's next work item (express
 * first) and keeps it unacknowledged on a channel of its own for the claim's visibility time, so no other
 * picker gets it; the item is settled when the claim ends: acknowledged once the task is packed (or cancelled),
 * else sent to the retry queue (back after PICK_RETRY_DELAY_MS) or, after PICK_MAX_ATTEMPTS lapsed claims, to
 * the dead letters. The pick_tasks row is the truth; an item whose holder died is requeued by RabbitMQ and
 * judged by its row when taken again.
 */
export function createPickFloor(
  ctx: ServiceContext<Database>,
  queue: WorkQueues<PickTaskItem>,
  substitutes: SubstituteDesk,
) {
  const { PICK_VISIBILITY_MS: visibilityMs, PICK_MAX_ATTEMPTS: maxAttempts } = ctx.config;
  const holds = new Map<string, { item: Delivery<PickTaskItem>; timer: Timer }>();

  /** Settles the item a claim of this instance held, by what became of its task. */
  async function endClaim(claimId: string): Promise<void> {
    const hold = holds.get(claimId);
    if (!hold) return;
    holds.delete(claimId);
    clearTimeout(hold.timer);
    try {
      const how = await transact(ctx.db, async (trx) => {
        const task = await lockTask(trx, hold.item.body.taskId);
        const how = onLapsed(task, claimId, maxAttempts);
        if (task && how !== "done") await releaseTask(trx, task.task_id, how === "dead" ? "DEAD" : "QUEUED");
        return how;
      });
      if (how !== "done") ctx.logger.warn({ taskId: hold.item.body.taskId, how }, "pick claim lapsed");
      await settle(hold.item, how);
    } catch (error) {
      // The item stays unacknowledged: handed back, RabbitMQ gives it to the next picker and its row decides.
      ctx.logger.error({ err: error, claimId }, "pick claim could not be settled");
      await hold.item.release().catch(() => {});
    }
  }

  return {
    /**
     * The picker's task: the one they hold, else the next of the store's queue (null when it is empty). One at
     * a time per picker (prefetch 1), also across concurrent requests: the picker's lock serialises them.
     */
    async claimNext(storeId: string, pickerId: string): Promise<PickTaskView | null> {
      const skipped: [Delivery<PickTaskItem>, Settlement][] = [];
      let taken: Delivery<PickTaskItem> | undefined;
      try {
        const claimed = await transact(ctx.db, async (trx) => {
          await sql`select pg_advisory_xact_lock(hashtext('pick-picker'), hashtext(${pickerId}))`.execute(
            trx,
          );
          const held = await heldBy(trx, pickerId);
          if (held) return { task: held, claimId: null };
          for (;;) {
            taken = (await queue.take(storeId)) ?? undefined;
            if (!taken) return null;
            const item = taken;
            // The item's row decides, in the trace of the order it came from (its publisher's).
            const claimed = await withWorkItemSpan(
              { kind: "PickTask", item, queue: queue.queueOf(storeId), service: ctx.name },
              async () => {
                const task = await lockTask(trx, item.body.taskId);
                const how = onTaken(task, storeId, maxAttempts);
                if (how === "claim" && task) {
                  const claimId = Bun.randomUUIDv7();
                  return {
                    task: await claimTask(trx, task.task_id, { pickerId, claimId, visibilityMs }),
                    claimId,
                  };
                }
                if (how === "dead" && task) await releaseTask(trx, task.task_id, "DEAD");
                skipped.push([item, how === "claim" ? "dead" : how]);
                return null;
              },
            );
            if (claimed) return claimed;
            taken = undefined;
          }
        });
        if (claimed?.claimId && taken) {
          const claimId = claimed.claimId;
          const timer = setTimeout(() => void endClaim(claimId), visibilityMs);
          holds.set(claimId, { item: taken, timer });
        }
        return claimed ? await pickTaskView(ctx.db, claimed.task) : null;
      } catch (error) {
        await taken?.release().catch(() => {});
        throw error;
      } finally {
        for (const [item, how] of skipped)
          await settle(item, how).catch((error) =>
            ctx.logger.error({ err: error, taskId: item.body.taskId }, "pick item not settled"),
          );
      }
    },

    /**
     * The holder reports the bag: the task is PACKED and OrderPacked tells the order what is in it (picked
     * units, substitutes with their price). Substitutes are priced and held in the order's reservation first, so
     * a refused one (no price, not enough available: 422/409 naming `lines.<i>.substituteSku`) leaves the task as
     * it was. A repeat by the packer answers the packed task.
     */
    async complete(taskId: string, pickerId: string, body: CompletePickTaskBody): Promise<PickTaskView> {
      // Checked before pricing and inventory are asked, and again under the task's lock when it is packed.
      const seen = await findTask(ctx.db, taskId);
      if (ownsPacked(seen, pickerId)) return pickTaskView(ctx.db, seen);
      const claimed = claimedBy(seen, pickerId);
      // The picker works on this order from here on: the request and what it causes carry its id.
      return forOrder(claimed.order_id, async () => {
        const checked = checkBag(claimed.lines, body.lines, claimed.allow_substitutions);
        if ("errors" in checked) throw invalidPick(checked.errors);
        const lines = await substitutes.settle(claimed, checked.lines, body.lines);
        const { task, claimId } = await transact(ctx.db, async (trx) => {
          const task = await lockTask(trx, taskId);
          if (ownsPacked(task, pickerId)) return { task, claimId: null };
          const held = claimedBy(task, pickerId);
          const done = await packTask(trx, held.task_id, lines);
          const packed = {
            orderId: done.order_id,
            storeId: done.store_id,
            taskId: done.task_id,
            userId: done.user_id,
            lines,
          };
          // Packing moves the order on (stock is committed): part of its checkout's trace, like a rider's report.
          await inCheckoutTrace(await findDeliveryTrace(trx, done.order_id), "pick task packed", () =>
            enqueue(trx, createMessage("OrderPacked", packed, replyTo(null))),
          );
          return { task: done, claimId: held.claim_id };
        });
        // Held here: acknowledged now; held by another instance: its claim's end finds the task packed.
        if (claimId) await endClaim(claimId);
        return pickTaskView(ctx.db, task);
      });
    },

    /** Hands back the items still held (RabbitMQ redelivers them; their rows keep the claims). */
    stoppable(): Stoppable {
      return {
        async stop() {
          for (const [claimId, hold] of holds) {
            holds.delete(claimId);
            clearTimeout(hold.timer);
            await hold.item.release().catch(() => {});
          }
        },
      };
    },
  };
}

export type PickFloor = ReturnType<typeof createPickFloor>;
