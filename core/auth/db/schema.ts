import type { MessagingTables } from "../../shared/db/messaging";

/** The auth schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {}
