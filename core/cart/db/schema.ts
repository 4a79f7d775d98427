import type { Line } from "@qc/contracts";
import type { ColumnType, Generated, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";

/** The durable copy of a cart, written behind Redis; `version` is the Redis cart version it reflects. */
export interface CartTable {
  user_id: string;
  store_id: string;
  lines: ColumnType<Line[], string, string>;
  version: number;
  updated_at: Generated<Date>;
}

/** The cart schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  carts: CartTable;
}

export type CartRow = Selectable<CartTable>;
