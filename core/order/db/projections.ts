import type { Kysely, QueryCreator } from "kysely";
import { type OrderState, toView } from "../domain/order";
import type { Database } from "./schema";

/** The order_views row of an order's state: the view and the columns lists filter on. */
export const viewRow = (state: OrderState) => ({
  order_id: state.orderId,
  user_id: state.userId,
  store_id: state.storeId,
  status: state.status,
  reason: state.reason,
  total_minor: state.total.amountMinor,
  currency: state.total.currency,
  version: state.version,
  view: JSON.stringify(toView(state)),
  created_at: state.createdAt,
  updated_at: state.updatedAt,
});

/**
 * A projection of the order service: a table with one row per order (keyed by `order_id`, carrying the
 * `version` it was folded to), created by a migration, and the row an order's folded state becomes. Every
 * step writes each registered projection; `bun core/tooling/replay/main.ts <name>` rebuilds one from the
 * event store with the same row function.
 */
export interface ProjectionDefinition {
  table: keyof Database & string;
  rowOf(state: OrderState): { order_id: string; version: number } & Record<string, unknown>;
}

export const PROJECTIONS = {
  "order-views": { table: "order_views", rowOf: viewRow },
} as const satisfies Record<string, ProjectionDefinition>;

export type ProjectionName = keyof typeof PROJECTIONS;

/** The upsert of a projection's rows (one per order) into `table`: the live table, or a rebuild of it. */
type AnyTables = Record<string, Record<string, unknown>>;
const upsertRows = (
  creator: QueryCreator<Database>,
  table: string,
  rows: readonly Record<string, unknown>[],
) => {
  // The table is chosen at run time (a rebuild writes a copy of the live one).
  const db = creator as unknown as QueryCreator<AnyTables>;
  const columns = Object.keys(rows[0] ?? {}).filter((column) => column !== "order_id");
  return db
    .insertInto(table)
    .values(rows)
    .onConflict((conflict) =>
      conflict
        .column("order_id")
        .doUpdateSet((eb) =>
          Object.fromEntries(columns.map((column) => [column, eb.ref(`excluded.${column}`)])),
        ),
    );
};

/** Upserts the rows of a projection (one per order) into `table`. */
export async function writeRows(
  db: Kysely<Database>,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (rows.length > 0) await upsertRows(db, table, rows).execute();
}

/** Writes the order's new state to every projection, a statement each. */
export async function project(db: Kysely<Database>, state: OrderState): Promise<void> {
  for (const { table, rowOf } of Object.values(PROJECTIONS)) await writeRows(db, table, [rowOf(state)]);
}

/** The order's state as a row of every registered projection, by table. */
export const projectionRows = (state: OrderState): Record<string, Record<string, unknown>> =>
  Object.fromEntries(Object.values(PROJECTIONS).map(({ table, rowOf }) => [table, rowOf(state)]));

/**
 * Adds projection rows (by table, from projectionRows) to a statement being built, as its CTEs: a step's
 * write is one statement (Postgres runs every data-modifying CTE once, referenced or not).
 */
export const withProjectionRows = (
  db: QueryCreator<Database>,
  rows: Record<string, Record<string, unknown>>,
): QueryCreator<Database> =>
  Object.entries(rows).reduce(
    (statement, [table, row]) =>
      statement.with(`projected_${table}`, (db) =>
        upsertRows(db, table, [row]).returning("order_id"),
      ) as unknown as QueryCreator<Database>,
    db,
  );
