import type { ColumnType, Generated } from "kysely";

export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  topic: string;
  key: string;
  type: string;
  payload: unknown;
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  created_at: Generated<Date>;
  published_at: Date | null;
}

export interface InboxTable {
  consumer_group: string;
  message_id: string;
  type: string;
  received_at: Generated<Date>;
}

/** The outbox and inbox every service schema carries (shared migration 20260101000000_messaging). */
export interface MessagingTables {
  outbox: OutboxTable;
  inbox: InboxTable;
}
