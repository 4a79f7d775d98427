import pg from "pg";

/**
 * Does once, after a bench's warm-up, what autovacuum's analyze does in production as tables grow: refreshes
 * the planner's statistics of the run's database and of the databases derived from it (inventory's shards),
 * which makes Postgres re-plan every prepared statement on those tables. This machine's Postgres runs with
 * autovacuum off, so nothing else ever analyzes them: each service's named statements would keep the generic
 * plans they got on near-empty tables for the whole run (sequential scans of the outbox and of notifications,
 * each costing more with every row written). Returns the databases analyzed.
 */
export async function analyzeAfterWarmUp(databaseUrl: string): Promise<string[]> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  let family: string[];
  try {
    family = (
      await admin.query<{ datname: string }>(
        "select datname from pg_database where datname = $1 or starts_with(datname, $1 || '_') order by 1",
        [name],
      )
    ).rows.map((row) => row.datname);
  } finally {
    await admin.end();
  }
  for (const database of family) {
    const url = new URL(databaseUrl);
    url.pathname = `/${encodeURIComponent(database)}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query("analyze");
    } finally {
      await client.end();
    }
  }
  return family;
}
