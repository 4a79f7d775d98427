import type { Line, PackedLine } from "@qc/contracts";
import type { Generated, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";
import type { DeliveryState } from "../domain/transitions";

export interface StoresTable {
  store_id: string;
  name: string;
  lat: number;
  lng: number;
  service_radius_meters: number;
  active: boolean;
  updated_at: Generated<Date>;
}
export type StoreRow = Selectable<StoresTable>;

export interface RidersTable {
  rider_id: string;
  store_id: string;
  name: string;
  user_id: string | null;
  lat: number;
  lng: number;
  status: Generated<"FREE" | "BUSY">;
  active: Generated<boolean>;
  created_at: Generated<Date>;
}
export type RiderRow = Selectable<RidersTable>;

export interface DeliveriesTable {
  delivery_id: string;
  order_id: string;
  store_id: string;
  rider_id: string | null;
  status: DeliveryState;
  address_line1: string | null;
  lat: number | null;
  lng: number | null;
  eta_minutes: number | null;
  assign_deadline: Date | null;
  /** W3C traceparent of the CreateDelivery that made it: status reports continue the checkout's trace. */
  traceparent: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type DeliveryRow = Selectable<DeliveriesTable>;

export interface NotificationsTable {
  id: Generated<number>;
  message_id: string;
  order_id: string;
  user_id: string | null;
  kind: string;
  body: string;
  /** Sends it took the notifier (failed tries were retried after a delay). */
  attempts: Generated<number>;
  created_at: Generated<Date>;
}

export type PickTaskStatus = "WAITING" | "QUEUED" | "CLAIMED" | "PACKED" | "CANCELLED" | "DEAD";

/** One order's pick task: the source of truth; RabbitMQ holds the work item that hands it to a picker. */
export interface PickTasksTable {
  task_id: string;
  order_id: string;
  store_id: string;
  user_id: string;
  express: boolean;
  /** The shopper accepts substitutes for missing items. */
  allow_substitutions: Generated<boolean>;
  lines: Line[];
  status: PickTaskStatus;
  picker_id: string | null;
  /** The current claim: its holder settles the work item once the claim ends. */
  claim_id: string | null;
  claimed_until: Date | null;
  /** Claims so far; the task is dead-lettered once PICK_MAX_ATTEMPTS of them lapsed. */
  attempts: Generated<number>;
  picked: PackedLine[] | null;
  published_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type PickTaskRow = Selectable<PickTasksTable>;

/** Product names as catalog announced them, for the picker's list. */
export interface ProductsTable {
  sku: string;
  name: string;
}

/** The delivery schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  stores: StoresTable;
  riders: RidersTable;
  deliveries: DeliveriesTable;
  notifications: NotificationsTable;
  pick_tasks: PickTasksTable;
  products: ProductsTable;
}
