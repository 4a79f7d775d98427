import type { Kysely } from "kysely";
import type { Config } from "../../shared/config";
import { createDb } from "../../shared/db";
import type { Database } from "./schema";

/** One inventory database: the stock (and outbox) of the stores assigned to it. */
export interface Shard {
  name: string;
  /** Where its database is (its relay's leader listens there). */
  url: string;
  db: Kysely<Database>;
}

export interface Shards {
  /** The service's own database: checkout reserves here, and the store map and transfer log live here. */
  home: Shard;
  all: readonly Shard[];
  byName(name: string): Shard | undefined;
  /** The shard that keeps a store's stock: the one it is assigned to, else the home shard. */
  ofStore(storeId: string): Promise<Shard>;
  /** Closes the pools this opened (not the home one, which the service owns). */
  close(): Promise<void>;
}

/**
 * Where each shard's database is: the first of INVENTORY_SHARDS is DATABASE_URL itself, every other one is
 * `<DATABASE_URL's database>_inventory_<shard>` on the same server (on this machine two databases stand for
 * two regions; a deployment would point each at its own server).
 */
export function shardUrls(config: Pick<Config, "DATABASE_URL" | "INVENTORY_SHARDS">) {
  return config.INVENTORY_SHARDS.map((name, index) => {
    if (index === 0) return { name, url: config.DATABASE_URL };
    const url = new URL(config.DATABASE_URL);
    url.pathname = `${url.pathname}_inventory_${name}`;
    return { name, url: url.toString() };
  });
}

/** Opens a pool per remote shard beside the service's own database. */
export function openShards(config: Config, home: Kysely<Database>): Shards {
  const [first, ...others] = shardUrls(config);
  if (!first) throw new Error("INVENTORY_SHARDS names no shard");
  const remote = others.map(({ name, url }) => ({
    name,
    url,
    db: createDb<Database>({ url, schema: "inventory", poolMax: config.DB_POOL_MAX }),
  }));
  const homeShard = { name: first.name, url: first.url, db: home };
  const all = [homeShard, ...remote];
  const byName = (name: string) => all.find((shard) => shard.name === name);
  return {
    home: homeShard,
    all,
    byName,
    async ofStore(storeId) {
      const row = await home
        .selectFrom("store_shards")
        .select("shard")
        .where("store_id", "=", storeId)
        .executeTakeFirst();
      if (!row) return homeShard;
      const shard = byName(row.shard);
      if (!shard)
        throw new Error(`store ${storeId} is in shard ${row.shard}, which INVENTORY_SHARDS does not name`);
      return shard;
    },
    async close() {
      await Promise.all(remote.map((shard) => shard.db.destroy()));
    },
  };
}

/** Puts a store's stock in a shard (before it holds any stock: rows are not moved between databases). */
export async function assignStoreShard(
  home: Kysely<Database>,
  storeId: string,
  shard: string,
): Promise<void> {
  await home
    .insertInto("store_shards")
    .values({ store_id: storeId, shard })
    .onConflict((oc) => oc.column("store_id").doUpdateSet({ shard }))
    .execute();
}
