import pg from "pg";
import { databaseFamily } from "../../../core/shared/db";

/**
 * Does once, after a bench's warm-up, what autovacuum's analyze does in production as tables grow: refreshes
 * the planner's statistics of the run's database and of the databases derived from it (inventory's shards),
 * which makes Postgres re-plan every prepared statement on those tables. This machine's Postgres runs with
 * autovacuum off, so nothing else ever analyzes them: each service's named statements would keep the generic
 * plans they got on near-empty tables for the whole run (sequential scans of the outbox and of notifications,
 * each costing more with every row written). Returns the databases analyzed.
 */
export async function analyzeAfterWarmUp(databaseUrl: string): Promise<string[]> {
  const family = await databaseFamily(databaseUrl);
  for (const database of family) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query("analyze");
    } finally {
      await client.end();
    }
  }
  return family.map((database) => database.name);
}
