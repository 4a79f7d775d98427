import type { Kysely } from "kysely";
import type { Stoppable } from "../../shared/runtime/context";
import type { Logger } from "../../shared/telemetry/logger";
import type { Database } from "../db/schema";
import { retryAllWaiting } from "./assign-rider";

/** Retries waiting deliveries every interval (and fails those past their deadline); SKIP LOCKED lets instances share it. */
export function startAssigner(db: Kysely<Database>, intervalMs: number, logger: Logger): Stoppable {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    // A pass slower than the interval is not queued behind: the next tick simply skips.
    running ??= retryAllWaiting(db)
      .catch((error) => logger.error({ err: error }, "assignment retry failed"))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
