import { type Kysely, sql } from "kysely";
import pg from "pg";

/**
 * Commits in another instance of the service: a commit wakes only the relays of its own process, and only the
 * schema's leading relay publishes (see tryLead). A standby relay woken by its process's commit tells the
 * leader through Postgres (`NOTIFY`, in a statement of its own: never inside a business transaction, whose
 * commit Postgres would otherwise serialise on its global notify lock), and the leader LISTENs while it leads.
 * A lost listener only leaves the leader to its poll.
 */
const CHANNEL = "qc_outbox";

/** Tells the schema's leader, wherever it runs, that this instance committed outbox rows. */
export async function tellLeader(session: Kysely<any>): Promise<void> {
  await sql`select pg_notify(${CHANNEL}, current_schema())`.execute(session);
}

/** Calls `heard` on every commit a standby of `schema` reports, until closed. */
export async function hearStandbys(
  url: string,
  schema: string,
  heard: () => void,
): Promise<{ close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: `${schema} relay` });
  client.on("error", () => {});
  client.on("notification", (notification) => {
    if (notification.payload === schema) heard();
  });
  await client.connect();
  try {
    await client.query(`listen ${CHANNEL}`);
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return { close: () => client.end().catch(() => {}) };
}
