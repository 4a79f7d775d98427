import type { Kysely } from "kysely";
import type { Logger } from "../../shared/telemetry/logger";
import { deleteExpiredRefreshTokens } from "../db/refresh-token-repository";
import type { Database } from "../db/schema";

export const HOUR_MS = 3_600_000;

/**
 * Every rotation leaves a spent row behind, kept so its reuse can be detected. Once a row has expired it
 * can no longer be presented usefully, so after a day's margin it is deleted.
 */
export async function sweepRefreshTokens(db: Kysely<Database>, logger: Logger): Promise<void> {
  const deleted = await deleteExpiredRefreshTokens(db, new Date(Date.now() - 24 * HOUR_MS));
  if (deleted > 0) logger.info({ deleted }, "expired refresh tokens deleted");
}
