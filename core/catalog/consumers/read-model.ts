import { causedBy, createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { BACKGROUND_GATHER_MS } from "../../shared/bus";
import { startConsumer } from "../../shared/consumer/runner";
import { enqueueLatest } from "../../shared/outbox/enqueue";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { applyPrice, applyStock } from "../db/read-model-repository";
import type { Database } from "../db/schema";

// The runner hands each handler only the message type it is registered for.
type Price = MessageOf<"PriceChanged">;
type Stock = MessageOf<"StockLevelChanged">;

/**
 * Announces the committed change (same transaction, via the outbox) so the edge purges only after it; an
 * entry changed by several messages of one group commit is announced once.
 */
const announce = (trx: Kysely<Database>, message: Price | Stock, changed: "price" | "stock") => {
  const { storeId, sku } = message.data;
  enqueueLatest(
    trx,
    [createMessage("CatalogEntryChanged", { storeId, sku, changed }, causedBy(message, "catalog"))],
    () => `${storeId} ${sku} ${changed}`,
  );
};

/** Keeps the per-store price and availability read model in step with pricing and inventory. */
export const startReadModelConsumer = (ctx: ServiceContext<Database>): Promise<Stoppable> =>
  startConsumer(
    {
      groupId: "catalog-read-model",
      gatherMs: BACKGROUND_GATHER_MS,
      topics: ["pricing.events.v1", "inventory.events.v1"],
      handlers: {
        PriceChanged: async (trx, message) => {
          await applyPrice(trx, (message as Price).data, new Date(message.occurredAt));
          announce(trx, message as Price, "price");
        },
        StockLevelChanged: async (trx, message) => {
          await applyStock(trx, (message as Stock).data, new Date(message.occurredAt));
          announce(trx, message as Stock, "stock");
        },
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
