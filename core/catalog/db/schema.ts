import type { MessagingTables } from "../../shared/db/messaging";

/** The catalog schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {}
