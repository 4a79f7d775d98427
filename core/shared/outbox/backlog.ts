import { type Kysely, sql } from "kysely";

export interface Backlog {
  messages: number;
  oldestAgeSeconds: number;
}

/** Unpublished rows of the outbox and the age of the oldest (0 when empty); reads the partial index only. */
export async function measureBacklog(db: Kysely<any>): Promise<Backlog> {
  const { rows } = await sql<{ messages: number; oldest_age_seconds: number }>`
    select count(*)::int as messages,
           coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest_age_seconds
    from outbox where published_at is null`.execute(db);
  return { messages: rows[0]?.messages ?? 0, oldestAgeSeconds: rows[0]?.oldest_age_seconds ?? 0 };
}
