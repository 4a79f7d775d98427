import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { openShards, type Shards } from "./db/shards";

const built = new WeakMap<ServiceContext<Database>, { shards: Shards }>();

/** The shard databases of a running service, shared by its routes and background work. */
export function inventoryParts(ctx: ServiceContext<Database>) {
  let parts = built.get(ctx);
  if (!parts) {
    parts = { shards: openShards(ctx.config, ctx.db) };
    built.set(ctx, parts);
  }
  return parts;
}
