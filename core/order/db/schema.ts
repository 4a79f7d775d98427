import type { Address, Line, Money, OrderStatus, OrderView, RejectReason } from "@qc/contracts";
import type { ColumnType, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";
import type { SagaState } from "../domain/saga";

type Json<T> = ColumnType<T, string, string>;

export interface OrderEventsTable {
  order_id: string;
  version: number;
  type: string;
  data: Json<unknown>;
  occurred_at: ColumnType<Date, Date | undefined, never>;
}

export interface OrdersTable {
  order_id: string;
  user_id: string;
  store_id: string;
  status: OrderStatus;
  reason: RejectReason | null;
  total_minor: number;
  currency: string;
  delivery_id: string | null;
  eta_minutes: number | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface OrderViewsTable {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  view: Json<OrderView>;
  created_at: Date;
}

/** What the saga's commands need beside its state: set once when the order is placed. */
export interface SagaData {
  userId: string;
  storeId: string;
  lines: Line[];
  address: Address;
  amount: Money;
  paymentToken: string;
  paymentId: string;
  correlationId: string;
}

export interface SagasTable {
  order_id: string;
  step: string;
  status: string;
  attempt: number;
  deadline_at: Date | null;
  state: Json<SagaState>;
  data: Json<SagaData>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: Json<unknown>;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
}

export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;

/** The order schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  order_events: OrderEventsTable;
  orders: OrdersTable;
  order_views: OrderViewsTable;
  sagas: SagasTable;
  idempotency_keys: IdempotencyKeysTable;
}
