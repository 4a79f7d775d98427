import { isTerminalStatus } from "@qc/contracts";
import { BACKGROUND_GATHER_MS } from "../../shared/bus";
import { type MessageHandler, startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { releaseRedemption } from "../db/coupon-repository";
import type { OpenOrders } from "../db/open-orders";
import type { Database } from "../db/schema";

/**
 * Order events drive two things here: each store's open-order count (for the surge fee) and giving a
 * coupon use back when its order is rejected or cancelled.
 */
export const consumeOrderEvents = (ctx: ServiceContext<Database>, orders: OpenOrders): Promise<Stoppable> => {
  const closeAndRelease: MessageHandler = async (trx, message) => {
    if (message.type !== "OrderRejected" && message.type !== "OrderCancelled") return;
    await releaseRedemption(trx, message.data.orderId);
    await orders.closed(message.data.storeId, message.data.orderId);
  };
  return startConsumer(
    {
      // Test runs share the broker: their groups must not share members (and so partitions) either.
      groupId: "pricing",
      gatherMs: BACKGROUND_GATHER_MS,
      topics: ["order.events.v1"],
      handlers: {
        OrderPlaced: async (_trx, message) => {
          if (message.type === "OrderPlaced") await orders.opened(message.data.storeId, message.data.orderId);
        },
        OrderRejected: closeAndRelease,
        OrderCancelled: closeAndRelease,
        OrderStatusChanged: async (_trx, message) => {
          if (message.type === "OrderStatusChanged" && isTerminalStatus(message.data.status))
            await orders.closed(message.data.storeId, message.data.orderId);
        },
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
};
