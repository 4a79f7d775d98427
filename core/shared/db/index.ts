import { Kysely } from "kysely";
import pg from "pg";
import { holdAheadInSocket, PipelinedPostgresDialect } from "./pipeline";

// int8 (bigint) columns are counters and sequence numbers here, well inside 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export interface DbOptions {
  url: string;
  /** The service's own Postgres schema: the default for Kysely queries and for raw SQL (search_path). */
  schema: string;
  poolMax?: number;
  applicationName?: string;
}

// Statements with more parameters than this are bulk writes whose text changes with their row count: they
// would fill each connection with one-off prepared statements, so they are sent unnamed.
const MAX_PREPARED_PARAMETERS = 64;

/**
 * Sends every parameterised statement of this connection as a named prepared statement (node-postgres
 * parses a name once per connection, then only binds and executes it): Postgres parses and plans a
 * statement once instead of on every call, which is most of its CPU for the short statements core runs.
 * The name is a hash of the text; names resolve through the connection's fixed search_path.
 */
function preparePerConnection(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text !== "string" || !Array.isArray(values) || values.length === 0)
      return query(text, values, ...rest);
    if (values.length > MAX_PREPARED_PARAMETERS) return query(text, values, ...rest);
    return query({ name: `qc_${Bun.hash(text).toString(36)}`, text, values }, ...rest);
  }) as typeof client.query;
}

/** A Kysely instance bound to one service's schema over its own pg pool. */
export function createDb<Database>(options: DbOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 5,
    application_name: options.applicationName ?? options.schema,
    options: `-c search_path="${options.schema}",public`,
    connectionTimeoutMillis: 5_000,
    // Statements go out without waiting for the one before (see ./pipeline): Kysely still awaits each one.
    pipeline: true,
  });
  // An idle client that loses its server (Postgres restarted) must not crash the process.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    // Nor a checked-out one between two queries of a transaction: its next query fails instead.
    client.on("error", () => {});
    preparePerConnection(client);
    holdAheadInSocket(client);
  });
  // Names resolve through the connection's search_path (the service's schema first), so queries need no
  // schema of their own: Kysely's withSchema plugin would rewrite every query's tree to add it, at a cost.
  return new Kysely<Database>({ dialect: new PipelinedPostgresDialect({ pool }) });
}

/** Creates the database named in the URL if it does not exist yet (idempotent). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`create database "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    // Two processes may race to create it; the loser sees a duplicate.
    if ((error as { code?: string }).code !== "42P04") throw error;
  } finally {
    await client.end();
  }
}

/** The URL of another database on the same server as `url`. */
const urlOf = (url: string, database: string) => {
  const target = new URL(url);
  target.pathname = `/${encodeURIComponent(database)}`;
  return target.toString();
};

/**
 * The database named in the URL and the databases named `<name>_*` that services derive from it (inventory's
 * shards), each with its URL.
 */
export async function databaseFamily(url: string): Promise<{ name: string; url: string }[]> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const client = new pg.Client({ connectionString: urlOf(url, "postgres") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname = $1 or starts_with(datname, $1 || '_') order by 1",
      [name],
    );
    return rows.map((row) => ({ name: row.datname, url: urlOf(url, row.datname) }));
  } finally {
    await client.end();
  }
}

/**
 * Drops the database named in the URL, closing its connections first (tests clean up after themselves);
 * `derived` also drops its family (see databaseFamily).
 * Prepared transactions left in them (a test that killed a transfer's coordinator) are rolled back first:
 * they would block the drop and hold back vacuum on the whole server.
 */
export async function dropDatabase(url: string, options: { derived?: boolean } = {}): Promise<void> {
  const family = options.derived
    ? await databaseFamily(url)
    : [{ name: decodeURIComponent(new URL(url).pathname.slice(1)), url }];
  const client = new pg.Client({ connectionString: urlOf(url, "postgres") });
  await client.connect();
  try {
    for (const database of family) {
      await rollbackPrepared(database.url);
      await client.query(`drop database if exists "${database.name.replaceAll('"', '""')}" with (force)`);
    }
  } finally {
    await client.end();
  }
}

async function rollbackPrepared(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return; // gone already
  }
  try {
    const prepared = await client.query<{ gid: string }>(
      "select gid from pg_prepared_xacts where database = current_database()",
    );
    for (const { gid } of prepared.rows)
      await client.query(`rollback prepared '${gid.replaceAll("'", "''")}'`);
  } finally {
    await client.end();
  }
}
