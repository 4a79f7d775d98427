import type { ColumnType, Generated, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";
import type { ProviderResult } from "../clients/card-processor/provider";

export type IntentStatus = "AUTHORIZED" | "CAPTURED" | "VOIDED" | "REFUNDED" | "DECLINED" | "FAILED";

export interface PaymentIntentsTable {
  payment_id: string;
  order_id: string;
  status: IntentStatus;
  amount_minor: number | null;
  currency: string | null;
  provider_reference: string | null;
  decline_code: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type IntentRow = Selectable<PaymentIntentsTable>;

export interface PaymentCapturesTable {
  payment_id: string;
  amount_minor: number;
  currency: string;
  provider_reference: string;
  captured_at: Generated<Date>;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  txn_id: string;
  payment_id: string;
  movement: string;
  account: string;
  currency: string;
  debit_minor: number;
  credit_minor: number;
  created_at: Generated<Date>;
}

export interface ProviderAuthorizationsTable {
  authorization_key: string;
  reference: string;
  token: string | null;
  amount_minor: number;
  currency: string;
  status: "AUTHORIZED" | "CAPTURED" | "VOIDED" | "REFUNDED" | "DECLINED";
  created_at: Generated<Date>;
}

export interface ProviderOperationsTable {
  idempotency_key: string;
  operation: string;
  authorization_key: string;
  result: ColumnType<ProviderResult, string, string>;
  created_at: Generated<Date>;
}

/** The payment schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  payment_intents: PaymentIntentsTable;
  payment_captures: PaymentCapturesTable;
  ledger_entries: LedgerEntriesTable;
  provider_authorizations: ProviderAuthorizationsTable;
  provider_operations: ProviderOperationsTable;
}
