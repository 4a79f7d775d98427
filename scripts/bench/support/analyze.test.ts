import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import pg from "pg";
import { localPostgresUrl } from "../../../core/shared/config";
import { dropDatabase, ensureDatabase } from "../../../core/shared/db";
import { analyzeAfterWarmUp } from "./analyze";

// A run's database, one derived from it (an inventory shard's name) and a neighbour that only shares a prefix.
const run = `qc_test_analyze_${process.pid}`;
const databases = [run, `${run}_inventory_eu2`, `${run}x`];

const onDatabase = async <T>(name: string, use: (client: pg.Client) => Promise<T>) => {
  const client = new pg.Client({ connectionString: localPostgresUrl(name) });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
};

/** Rows in `outbox` as the planner believes, and whether anything analyzed it. */
const plannerView = (name: string) =>
  onDatabase(name, async (client) => {
    const { rows } = await client.query<{ reltuples: number; analyzed: boolean }>(
      `select c.reltuples::float8 as reltuples, s.last_analyze is not null as analyzed
       from pg_class c join pg_stat_user_tables s on s.relid = c.oid where c.relname = 'outbox'`,
    );
    return rows[0];
  });

describe("analyzeAfterWarmUp", () => {
  beforeAll(async () => {
    for (const name of databases) {
      await ensureDatabase(localPostgresUrl(name));
      await onDatabase(name, async (client) => {
        await client.query("drop table if exists outbox");
        await client.query("create table outbox (seq bigint primary key)");
        await client.query("insert into outbox select generate_series(1, 2000)");
      });
    }
  });
  afterAll(async () => {
    await dropDatabase(localPostgresUrl(run), { derived: true });
    await dropDatabase(localPostgresUrl(`${run}x`));
  });

  it("analyzes the run's database and the ones derived from it, and nothing else", async () => {
    expect((await plannerView(run))?.analyzed).toBe(false);

    expect(await analyzeAfterWarmUp(localPostgresUrl(run))).toEqual([run, `${run}_inventory_eu2`]);

    for (const name of [run, `${run}_inventory_eu2`])
      expect(await plannerView(name)).toEqual({ reltuples: 2000, analyzed: true });
    expect((await plannerView(`${run}x`))?.analyzed).toBe(false);
  });
});
