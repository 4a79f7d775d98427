import type { MessagingTables } from "../../shared/db/messaging";

/** The delivery schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {}
