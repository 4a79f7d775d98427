import type { MessageOf } from "@qc/contracts";
import { startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { applyPrice, applyStock } from "../db/read-model-repository";
import type { Database } from "../db/schema";

// The runner hands each handler only the message type it is registered for.
type Price = MessageOf<"PriceChanged">;
type Stock = MessageOf<"StockLevelChanged">;

/** Keeps the per-store price and availability read model in step with pricing and inventory. */
export const startReadModelConsumer = (ctx: ServiceContext<Database>): Promise<Stoppable> =>
  startConsumer(
    {
      groupId: "catalog-read-model",
      topics: ["pricing.events.v1", "inventory.events.v1"],
      handlers: {
        PriceChanged: (trx, message) =>
          applyPrice(trx, (message as Price).data, new Date(message.occurredAt)),
        StockLevelChanged: (trx, message) =>
          applyStock(trx, (message as Stock).data, new Date(message.occurredAt)),
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
