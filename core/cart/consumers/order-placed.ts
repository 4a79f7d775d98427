import { startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import type { CartStore } from "../db/cart-store";
import type { Database } from "../db/schema";

/** An order placed from a cart empties that cart (the shopper's cart in that store). */
export const consumeOrderPlaced = (ctx: ServiceContext<Database>, store: CartStore): Promise<Stoppable> =>
  startConsumer(
    {
      // Test runs share the broker: their groups must not share members (and so partitions) either.
      groupId: "cart",
      // Not a gathering group: a shopper answered CONFIRMED ~80 ms after placing may fill the next cart at
      // once, and a clearing held back 200 ms would empty that (an edge bench hit it: 422 empty_cart).
      topics: ["order.events.v1"],
      handlers: {
        OrderPlaced: async (_trx, message) => {
          if (message.type !== "OrderPlaced") return;
          await store.clear(
            { userId: message.data.userId, storeId: message.data.storeId },
            message.correlationId,
          );
        },
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
