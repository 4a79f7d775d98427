import type { AnyMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type MessageHandler, startConsumer } from "../../shared/consumer/runner";
import { afterCommit } from "../../shared/db/transaction";
import type { ServiceContext } from "../../shared/runtime/context";
import { upsertProduct } from "../db/pick-task-repository";
import type { Database } from "../db/schema";
import { storeCache } from "../db/store-cache";
import { upsertStore } from "../db/store-repository";
import { cancelDelivery } from "../use-cases/cancel-delivery";
import { createDelivery, takeRidersAhead } from "../use-cases/create-delivery";

type Of<T extends AnyMessage["type"]> = Extract<AnyMessage, { type: T }>;

// How long another instance's CreateDelivery may still use a store's location and radius after an edit.
const STORE_CACHE_TTL_MS = 10_000;

/**
 * The saga's delivery commands, and what the catalog announces: stores (where riders start and ETAs begin)
 * and product names (for pickers).
 */
export function startCommandConsumer(ctx: ServiceContext<Database>) {
  const stores = storeCache(STORE_CACHE_TTL_MS);
  const on =
    <T extends AnyMessage["type"]>(
      handle: (trx: Kysely<Database>, message: Of<T>) => Promise<void>,
    ): MessageHandler =>
    (trx, message) =>
      handle(trx as Kysely<Database>, message as Of<T>);
  return startConsumer(
    {
      groupId: "delivery",
      topics: ["delivery.commands.v1", "catalog.events.v1"],
      handlers: {
        CreateDelivery: on<"CreateDelivery">((trx, m) =>
          createDelivery(trx, m, ctx.config.DELIVERY_ASSIGN_DEADLINE_MS, stores),
        ),
        CancelDelivery: on<"CancelDelivery">((trx, m) => cancelDelivery(trx, m, ctx.logger)),
        StoreUpserted: on<"StoreUpserted">(async (trx, m) => {
          await upsertStore(trx, m.data);
          afterCommit(trx, () => stores.forget(m.data.storeId));
        }),
        // Pickers read product names beside the SKUs.
        ProductUpserted: on<"ProductUpserted">((trx, m) => upsertProduct(trx, m.data)),
      },
      effectsInTransaction: true,
      beforeApply: (trx, messages) => takeRidersAhead(trx as Kysely<Database>, messages, stores),
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
