import type { CommitStockData, MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { lockStockRows } from "../db/stock-repository";
import { commitStock } from "../use-cases/commit-stock";
import { releaseStock } from "../use-cases/release-stock";
import { claimAhead, reserveStock } from "../use-cases/reserve-stock";

type Step<T extends "ReserveStock" | "CommitStock" | "ReleaseStock"> = (
  trx: Kysely<Database>,
  command: MessageOf<T>,
) => Promise<void>;
// The runner hands handlers the message type they are registered for.
const as = <T extends "ReserveStock" | "CommitStock" | "ReleaseStock">(step: Step<T>) =>
  step as unknown as Parameters<typeof startConsumer>[0]["handlers"][T];

/** The saga's inventory commands, each applied once (inbox) in the transaction that answers it. */
export const startCommandConsumer = (ctx: ServiceContext<Database>) =>
  startConsumer(
    {
      groupId: "inventory",
      topics: ["inventory.commands.v1"],
      handlers: {
        ReserveStock: as(reserveStock),
        CommitStock: as(commitStock),
        ReleaseStock: as(releaseStock),
      },
      effectsInTransaction: true,
      // Every command names its store and lines (a commit also what was picked): the rows they move are
      // locked first, in one order for every batch; then the fresh orders are claimed, all in one round trip.
      beforeApply: async (trx, messages) => {
        await lockStockRows(
          trx as Kysely<Database>,
          messages.flatMap((message) => {
            const { storeId, lines, picked = [] } = message.data as CommitStockData;
            return [...lines, ...picked].map(({ sku }) => ({ storeId, sku }));
          }),
        );
        await claimAhead(trx as Kysely<Database>, messages);
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
