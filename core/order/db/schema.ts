import type { MessagingTables } from "../../shared/db/messaging";

/** The order schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {}
