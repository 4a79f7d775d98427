import type { Address, Line, Money, OrderStatus, OrderView, RejectReason } from "@qc/contracts";
import type { ColumnType, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";
import type { ActorKind, OrderSnapshot } from "../domain/order";
import type { SagaState } from "../domain/saga";

type Json<T> = ColumnType<T, string, string>;

export interface OrderEventsTable {
  order_id: string;
  version: number;
  type: string;
  data: Json<unknown>;
  /** Stamped under the order's lock (`stampEvents`), so it never decreases along an order's versions. */
  occurred_at: ColumnType<Date, Date | undefined, never>;
  /** The shape `data` was written in; null for events older than the column (version 1). */
  schema_version: number | null;
  /** The request's or message's correlation id; null for events older than the column. */
  correlation_id: string | null;
  /** The id of the message that caused the event; null for a request, a timer, or an older event. */
  causation_id: string | null;
  /** Who caused it (shopper, admin, service); null for events older than the column. */
  actor_kind: ActorKind | null;
  actor_id: string | null;
}

/** An order's folded state every ORDER_SNAPSHOT_EVERY events: where an "as of" read starts folding. */
export interface OrderSnapshotsTable {
  order_id: string;
  version: number;
  state: Json<OrderSnapshot>;
  /** The occurred_at of the event at `version`. */
  taken_at: Date;
}

/**
 * The order's one projection: the shopper-facing view plus the columns that lists and dashboards filter on.
 * Written once per step from the aggregate's new state; rebuilt from the event store by the replay tool.
 */
export interface OrderViewsTable {
  order_id: string;
  user_id: string;
  store_id: string;
  status: OrderStatus;
  reason: RejectReason | null;
  total_minor: number;
  currency: string;
  version: number;
  view: Json<OrderView>;
  created_at: Date;
  updated_at: Date;
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

/**
 * One row per order: the aggregate's snapshot (the folded order at `version`, the saga's state and the data
 * its commands need) and the deadline of what the saga waits on. Events go to order_events; this row is
 * what a step reads instead of replaying them.
 */
export interface SagasTable {
  order_id: string;
  /** The steps the saga waits on, for operators reading the table ("" when none). */
  step: string;
  status: string;
  deadline_at: Date | null;
  state: Json<SagaState>;
  data: Json<SagaData>;
  order_state: Json<OrderSnapshot>;
  version: number;
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
  order_snapshots: OrderSnapshotsTable;
  order_views: OrderViewsTable;
  sagas: SagasTable;
  idempotency_keys: IdempotencyKeysTable;
}
