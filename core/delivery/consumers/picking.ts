import type { AnyMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { BACKGROUND_GATHER_MS } from "../../shared/bus";
import { type MessageHandler, startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import type { PickTaskQueue } from "../use-cases/queue-pick-task";

type Of<T extends AnyMessage["type"]> = Extract<AnyMessage, { type: T }>;

/**
 * Choreography: an order's pick task follows the order's facts. OrderPlaced carries the lines (express, and
 * whether substitutes are allowed), OrderConfirmed queues the task for the store's pickers, a rejection or
 * cancel drops it. One key per order, so these arrive in the order they happened.
 */
export function startPickingConsumer(ctx: ServiceContext<Database>, pickTasks: PickTaskQueue) {
  const on =
    <T extends AnyMessage["type"]>(
      handle: (trx: Kysely<Database>, message: Of<T>) => Promise<unknown>,
    ): MessageHandler =>
    async (trx, message) => {
      await handle(trx as Kysely<Database>, message as Of<T>);
    };
  return startConsumer(
    {
      groupId: "delivery-picking",
      gatherMs: BACKGROUND_GATHER_MS,
      topics: ["order.events.v1"],
      handlers: {
        OrderPlaced: on<"OrderPlaced">((trx, m) => pickTasks.placed(trx, m.data)),
        OrderConfirmed: on<"OrderConfirmed">(async (trx, m) => pickTasks.confirmed(trx, m.data.orderId)),
        OrderRejected: on<"OrderRejected">((trx, m) => pickTasks.ended(trx, m.data.orderId)),
        OrderCancelled: on<"OrderCancelled">((trx, m) => pickTasks.ended(trx, m.data.orderId)),
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
