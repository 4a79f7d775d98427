import type { Line, StockTransferView } from "@qc/contracts";
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
  /** Held units while RESERVED; once COMMITTED, the units sold. */
  lines: ColumnType<Line[], string, string>;
  /** Units held beside `lines` for substitutes of missing items (empty once committed). */
  substitutes: ColumnType<Line[], string | undefined, string>;
  status: ReservationStatus;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type ReservationRow = Selectable<ReservationsTable>;
export type NewReservation = Insertable<ReservationsTable>;

export interface StoreShardsTable {
  store_id: string;
  shard: string;
  assigned_at: Generated<Date>;
}

export type TransferState = StockTransferView["status"];
export type TransferReason = NonNullable<StockTransferView["reason"]>;

/** The two-phase commit coordinator's log: one row per transfer, its state committed before each step. */
export interface StockTransfersTable {
  transfer_id: string;
  idempotency_key: string;
  requested_by: string;
  from_store_id: string;
  to_store_id: string;
  sku: string;
  quantity: number;
  from_shard: string;
  to_shard: string;
  state: TransferState;
  reason: TransferReason | null;
  created_at: Generated<Date>;
  decided_at: Date | null;
  finished_at: Date | null;
}
export type StockTransferRow = Selectable<StockTransfersTable>;
export type NewStockTransfer = Insertable<StockTransfersTable>;

/** The inventory schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  stock: StockTable;
  reservations: ReservationsTable;
  store_shards: StoreShardsTable;
  stock_transfers: StockTransfersTable;
}
