import type { Line } from "@qc/contracts";
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";

export interface StockTable {
  store_id: string;
  sku: string;
  on_hand: number;
  reserved: Generated<number>;
  received: number;
  sold: Generated<number>;
  updated_at: Generated<Date>;
}
export type StockRow = Selectable<StockTable>;

export type ReservationStatus = "RESERVED" | "COMMITTED" | "RELEASED" | "EXPIRED";

export interface ReservationsTable {
  order_id: string;
  store_id: string;
  lines: ColumnType<Line[], string, string>;
  status: ReservationStatus;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type ReservationRow = Selectable<ReservationsTable>;
export type NewReservation = Insertable<ReservationsTable>;

/** The inventory schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  stock: StockTable;
  reservations: ReservationsTable;
}
