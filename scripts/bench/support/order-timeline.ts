import { type Kysely, sql } from "kysely";
import { SERVICE_NAMES } from "../../../core/shared/runtime/context";

export interface TimelineEntry {
  /** Milliseconds after the order's first outbox row (its POST's transaction). */
  atMs: number;
  what: string;
}

/**
 * Where one order's time went, hop by hop, from every service's outbox and inbox: when each message about the
 * order was written (its transaction), published by the relay, and taken by each consumer group (the
 * handling transaction's start). Rows are matched by the order id as message key; `now()` in Postgres is the
 * transaction's start, so "taken" is when the handler's transaction began.
 */
export async function orderTimeline(db: Kysely<unknown>, orderId: string): Promise<TimelineEntry[]> {
  const parts = SERVICE_NAMES.flatMap((service) => [
    sql`select created_at as at, ${`${service} wrote `} || type as what from ${sql.id(service, "outbox")}
        where key = ${orderId}`,
    sql`select published_at as at, ${`${service} relay published `} || type as what
        from ${sql.id(service, "outbox")} where key = ${orderId} and published_at is not null`,
    sql`select i.received_at as at, ${`${service} `} || i.consumer_group || ' took ' || i.type as what
        from ${sql.id(service, "inbox")} i
        where i.message_id in (${sql.join(
          SERVICE_NAMES.map((other) => sql`select id from ${sql.id(other, "outbox")} where key = ${orderId}`),
          sql` union all `,
        )})`,
  ]);
  const rows = await sql<{ at: Date; what: string }>`
    select at, what from (${sql.join(parts, sql` union all `)}) t order by at, what`.execute(db);
  const start = rows.rows[0]?.at.getTime() ?? 0;
  return rows.rows.map((row) => ({ atMs: row.at.getTime() - start, what: row.what }));
}
