import type { Kysely } from "kysely";
import type { Stoppable } from "../../shared/runtime/context";
import type { Logger } from "../../shared/telemetry/logger";
import { claimOverdueSaga } from "../db/saga-repository";
import type { Database } from "../db/schema";
import { applySagaInput } from "./apply";
import type { SagaSettings } from "./settings";

/**
 * Fires every overdue saga's deadline, one saga per transaction. The deadline lives in the sagas table,
 * so a restarted (or another) order instance picks up exactly where a killed one stopped.
 */
export async function sweepOverdueSagas(db: Kysely<Database>, settings: SagaSettings): Promise<number> {
  let fired = 0;
  for (;;) {
    const claimed = await db.transaction().execute(async (trx) => {
      const saga = await claimOverdueSaga(trx);
      if (!saga) return false;
      const { step, attempt } = saga.state;
      await applySagaInput(trx, settings, saga.orderId, { type: "DeadlinePassed", step, attempt }, {}, saga);
      return true;
    });
    if (!claimed) return fired;
    fired++;
  }
}

/** Runs `work` every `intervalMs` until stopped; a failed round is logged and the next one tries again. */
export function every(
  intervalMs: number,
  work: () => Promise<unknown>,
  logger: Logger,
  what: string,
): Stoppable {
  let running = true;
  let wake = () => {};
  const loop = (async () => {
    while (running) {
      try {
        await work();
      } catch (error) {
        logger.error({ err: error }, `${what} failed`);
      }
      // stop() cuts the wait short, so a long interval never holds up shutdown.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
    },
  };
}
