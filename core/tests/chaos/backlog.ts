import { type Kysely, sql } from "kysely";

const SCHEMAS = ["catalog", "pricing", "cart", "inventory", "order", "payment", "delivery"];

/** Per service: outbox rows not yet published and inbox rows consumed, to show where messages stopped. */
export async function messagingBacklog(db: Kysely<unknown>): Promise<string[]> {
  return Promise.all(
    SCHEMAS.map(async (schema) => {
      const { rows } = await sql<{ unpublished: number; consumed: number }>`
        select (select count(*)::int from ${sql.table(`${schema}.outbox`)} where published_at is null) as unpublished,
               (select count(*)::int from ${sql.table(`${schema}.inbox`)}) as consumed
      `.execute(db);
      const row = rows[0];
      return `${schema}: ${row?.unpublished ?? "?"} unpublished in the outbox, ${row?.consumed ?? "?"} consumed`;
    }),
  );
}
