import { startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import type { CartStore } from "../db/cart-store";
import type { Database } from "../db/schema";

/**
 * An order placed from a cart takes the lines it was placed from out of that cart (the shopper's cart in
 * that store): lines the shopper wrote after the order read the cart stay for the next order.
 */
export const consumeOrderPlaced = (ctx: ServiceContext<Database>, store: CartStore): Promise<Stoppable> =>
  startConsumer(
    {
      // Test runs share the broker: their groups must not share members (and so partitions) either.
      groupId: "cart",
      // Not a gathering group: a shopper answered CONFIRMED ~80 ms after placing looks at the cart at once,
      // and should find it emptied, not holding the ordered lines for another 200 ms.
      topics: ["order.events.v1"],
      handlers: {
        OrderPlaced: async (_trx, message) => {
          if (message.type !== "OrderPlaced") return;
          await store.takeOrdered(
            { userId: message.data.userId, storeId: message.data.storeId },
            message.data.cartVersion,
            message.correlationId,
          );
        },
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
