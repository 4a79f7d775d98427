import { type Kysely, sql } from "kysely";
import type { Database } from "./schema";

// A transfer's prepared transaction in one shard: `qc_st_<transfer id>_<shard>`. The shard is part of the
// name because a gid is unique per Postgres server, and on this machine every shard shares one server.
const GID = /^qc_st_([0-9a-f-]{36})_([a-z][a-z0-9]*)$/;

export const gidOf = (transferId: string, shard: string): string => {
  const gid = `qc_st_${transferId}_${shard}`;
  if (!GID.test(gid)) throw new Error(`not a transfer gid: ${gid}`);
  return gid;
};

/** The transfers with a transaction prepared in this database and not yet committed or rolled back. */
export async function preparedTransfers(
  db: Kysely<Database>,
): Promise<{ gid: string; transferId: string }[]> {
  const { rows } = await sql<{ gid: string }>`
    select gid from pg_prepared_xacts where database = current_database() and gid like 'qc\\_st\\_%'`.execute(
    db,
  );
  return rows.flatMap(({ gid }) => {
    const match = GID.exec(gid);
    return match?.[1] ? [{ gid, transferId: match[1] }] : [];
  });
}

/** PREPARE TRANSACTION on a connection inside an open transaction (the session is free again afterwards). */
export async function prepareTransaction(conn: Kysely<Database>, gid: string): Promise<void> {
  await sql`prepare transaction ${sql.lit(gid)}`.execute(conn);
}

/**
 * COMMIT PREPARED or ROLLBACK PREPARED, from any session of that database. A gid already gone was resolved
 * by someone else (the coordinator and recovery may both finish one): that is success, not an error.
 */
export async function finishPrepared(db: Kysely<Database>, gid: string, decision: "commit" | "rollback") {
  try {
    if (decision === "commit") await sql`commit prepared ${sql.lit(gid)}`.execute(db);
    else await sql`rollback prepared ${sql.lit(gid)}`.execute(db);
  } catch (error) {
    if ((error as { code?: string }).code !== "42704") throw error;
  }
}
