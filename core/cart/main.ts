import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import { consumeOrderPlaced } from "./consumers/order-placed";
import type { Database } from "./db/schema";
import { cartRpc } from "./rpc/cart";
import { startWriteBehind } from "./use-cases/write-behind";
import { cartParts } from "./wiring";

/** One cart per shopper per store in Redis, written behind to Postgres. */
export const cartService: ServiceDefinition<Database> = {
  name: "cart",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  grpc: (ctx) => [cartRpc(cartParts(ctx).store)],
  background: async (ctx) => {
    const { store } = cartParts(ctx);
    return [await startWriteBehind(ctx, store), await consumeOrderPlaced(ctx, store)];
  },
};

if (import.meta.main) await runServiceMain(cartService);
