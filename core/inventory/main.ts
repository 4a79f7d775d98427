import { startRelay } from "../shared/outbox/relay";
import { every } from "../shared/runtime/every";
import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { startCommandConsumer } from "./consumers/commands";
import type { Database } from "./db/schema";
import { shardUrls } from "./db/shards";
import { inventoryRpc } from "./rpc/inventory";
import { expireAllReservations } from "./use-cases/expire-reservations";
import { recoverTransfers } from "./use-cases/recover-transfers";
import { inventoryParts } from "./wiring";

/** Stock per dark store and SKU: on hand, reserved, available; all-or-nothing reservations; transfers. */
export const inventoryService: ServiceDefinition<Database> = {
  name: "inventory",
  migrations: `${import.meta.dir}/db/migrations`,
  // Every shard beyond the first (the service's own database) has the same schema in a database of its own.
  databases: (config) =>
    shardUrls(config)
      .slice(1)
      .map((shard) => shard.url),
  app,
  grpc: (ctx) => [inventoryRpc(ctx)],
  background: async (ctx) => {
    const { shards } = inventoryParts(ctx);
    const recovery = {
      shards,
      prepareTimeoutMs: ctx.config.STOCK_TRANSFER_PREPARE_TIMEOUT_MS,
      logger: ctx.logger,
    };
    return [
      // Stopped last: everything below uses these pools.
      { stop: () => shards.close() },
      // The stock changes a transfer commits in a remote shard are published from that shard's outbox.
      ...shards.all
        .filter((shard) => shard !== shards.home)
        .map((shard) =>
          startRelay({
            db: shard.db,
            databaseUrl: shard.url,
            bus: ctx.bus,
            logger: ctx.logger,
            topicPrefix: ctx.config.TOPIC_PREFIX,
          }),
        ),
      await startCommandConsumer(ctx),
      every(
        ctx.config.INVENTORY_SWEEP_INTERVAL_MS,
        () => expireAllReservations(ctx.db),
        ctx.logger,
        "reservation sweep",
      ),
      // The first round runs now, at start-up: transfers a crashed coordinator left in doubt are resolved.
      every(
        ctx.config.STOCK_TRANSFER_RECOVERY_INTERVAL_MS,
        () => recoverTransfers(recovery),
        ctx.logger,
        "stock transfer recovery",
      ),
    ];
  },
};

if (import.meta.main) await runServiceMain(inventoryService);
