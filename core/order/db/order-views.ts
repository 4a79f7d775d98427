import { type OrderStatus, type OrderView, type StoreLoad, terminalOrderStatuses } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Database } from "./schema";

/** One order's view, or null. */
export async function findView(db: Kysely<Database>, orderId: string): Promise<OrderView | null> {
  const row = await db
    .selectFrom("order_views")
    .select("view")
    .where("order_id", "=", orderId)
    .executeTakeFirst();
  return row?.view ?? null;
}

export interface ViewPageQuery {
  /** Only this user's orders; undefined lists everyone's (admin). */
  userId?: string;
  status?: OrderStatus;
  limit: number;
  after?: { createdAt: Date; orderId: string };
}

/** Newest first, keyset-paginated on (created_at, order_id); fetches one extra row to know if more follow. */
export async function pageViews(db: Kysely<Database>, query: ViewPageQuery): Promise<OrderView[]> {
  let select = db
    .selectFrom("order_views")
    .select("view")
    .orderBy("created_at", "desc")
    .orderBy("order_id", "desc")
    .limit(query.limit + 1);
  if (query.userId) select = select.where("user_id", "=", query.userId);
  if (query.status) select = select.where("status", "=", query.status);
  const after = query.after;
  if (after) {
    select = select.where((eb) =>
      eb.or([
        eb("created_at", "<", after.createdAt),
        eb.and([eb("created_at", "=", after.createdAt), eb("order_id", "<", after.orderId)]),
      ]),
    );
  }
  return (await select.execute()).map((row) => row.view);
}

/** Orders not yet finished, per store, with the mean and longest ETA of those that have one; most open first. */
export async function openOrdersByStore(db: Kysely<Database>): Promise<StoreLoad[]> {
  const eta = sql<number | null>`(view->>'etaMinutes')::int`;
  const rows = await db
    .selectFrom("order_views")
    .select((eb) => [
      "store_id",
      eb.fn.countAll<string>().as("open_orders"),
      eb.fn.avg<string | null>(eta).as("avg_eta"),
      eb.fn.max<number | null>(eta).as("max_eta"),
    ])
    .where("status", "not in", terminalOrderStatuses)
    .groupBy("store_id")
    .orderBy("open_orders", "desc")
    .execute();
  return rows.map((row) => ({
    storeId: row.store_id,
    openOrders: Number(row.open_orders),
    avgEtaMinutes: row.avg_eta === null ? null : Math.round(Number(row.avg_eta) * 10) / 10,
    maxEtaMinutes: row.max_eta,
  }));
}
