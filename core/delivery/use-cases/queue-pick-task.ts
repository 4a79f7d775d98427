import { type Context, context } from "@opentelemetry/api";
import type { Line, PickTaskItem } from "@qc/contracts";
import type { Kysely } from "kysely";
import { afterCommit, beforeCommit } from "../../shared/db/transaction";
import type { WorkQueues } from "../../shared/queue";
import { gatherWithin } from "../../shared/runtime/gather-window";
import type { Logger } from "../../shared/telemetry/logger";
import { forOrder } from "../../shared/telemetry/scope";
import { SpanKind, withSpan } from "../../shared/telemetry/tracing";
import {
  cancelTask,
  insertWaitingTask,
  markPublished,
  queueTasks,
  unpublishedTasks,
} from "../db/pick-task-repository";
import type { Database, PickTaskRow } from "../db/schema";
import { priorityOf } from "../domain/picking";

// A queued task RabbitMQ has not confirmed for this long is published again by the sweep.
const REPUBLISH_AFTER_MS = 5_000;
// Confirmed publishes are recorded together within this window (one update per window under load instead of
// one commit per order); a crash inside it only makes the sweep publish those tasks again.
const MARK_PUBLISHED_WINDOW_MS = 100;

/**
 * Puts the task's work item in its store's queue (confirmed by the broker), then records that it is there. The
 * publish is a producer span of the order's work (in the confirmation's trace, or a trace of its own when the
 * sweep resends), and the item carries its trace context, so whoever claims it continues that trace.
 */
async function publishTask(
  queue: WorkQueues<PickTaskItem>,
  published: (taskId: string) => Promise<unknown>,
  task: PickTaskRow,
) {
  await forOrder(task.order_id, () =>
    withSpan(
      "PickTask publish",
      { "messaging.system": "rabbitmq", "messaging.destination.name": queue.queueOf(task.store_id) },
      () =>
        queue.publish(
          task.store_id,
          { taskId: task.task_id, orderId: task.order_id, storeId: task.store_id },
          { messageId: task.task_id, priority: priorityOf(task.express) },
        ),
      { kind: SpanKind.PRODUCER },
    ),
  );
  await published(task.task_id);
}

// The orders confirmed in a transaction, queued together before it commits.
const confirmedIn = new WeakMap<Kysely<Database>, Map<string, Context>>();

/** The pick tasks' side of the order's life: learned when placed, queued once confirmed, dropped if it ends. */
export function pickTaskQueue(db: Kysely<Database>, queue: WorkQueues<PickTaskItem>, logger: Logger) {
  const published = gatherWithin(MARK_PUBLISHED_WINDOW_MS, (taskIds: string[]) => markPublished(db, taskIds));
  const publish = (task: PickTaskRow) => publishTask(queue, published, task);
  return {
    placed: (
      trx: Kysely<Database>,
      order: {
        orderId: string;
        storeId: string;
        userId: string;
        express?: boolean;
        allowSubstitutions?: boolean;
        lines: Line[];
      },
    ) =>
      insertWaitingTask(trx, {
        ...order,
        express: order.express ?? false,
        allowSubstitutions: order.allowSubstitutions ?? false,
      }),

    /**
     * The order is confirmed: its task is queued once, however often the confirmation arrives, and its work
     * item published after the commit; if that publish is lost (a crash, the broker away) the sweep resends.
     * The confirmations of one transaction (a window's batch) are queued together just before it commits, in
     * one statement instead of one round trip each; an order that ended later in the batch stays cancelled.
     */
    confirmed(trx: Kysely<Database>, orderId: string) {
      // Each publish stays in its confirmation's trace, though the tasks are queued together.
      const gathered = confirmedIn.get(trx);
      if (gathered) {
        gathered.set(orderId, context.active());
        return;
      }
      const confirmations = new Map([[orderId, context.active()]]);
      confirmedIn.set(trx, confirmations);
      beforeCommit(trx, async () => {
        const tasks = await queueTasks(trx, [...confirmations.keys()]);
        afterCommit(trx, () => {
          for (const task of tasks)
            context
              .with(confirmations.get(task.order_id) ?? context.active(), () => publish(task))
              .catch((error) =>
                logger.warn(
                  { err: error, taskId: task.task_id },
                  "pick task not published yet; the sweep resends it",
                ),
              );
        });
      });
    },

    ended: (trx: Kysely<Database>, orderId: string) => cancelTask(trx, orderId),

    /** Publishes the queued tasks whose work item the broker never confirmed. */
    async republish() {
      await Promise.all((await unpublishedTasks(db, REPUBLISH_AFTER_MS)).map(publish));
    },
  };
}

export type PickTaskQueue = ReturnType<typeof pickTaskQueue>;
