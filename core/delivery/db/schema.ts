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
  created_at: Generated<Date>;
}

/** The delivery schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  stores: StoresTable;
  riders: RidersTable;
  deliveries: DeliveriesTable;
  notifications: NotificationsTable;
}
