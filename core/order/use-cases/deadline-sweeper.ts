import type { Kysely } from "kysely";
import { withAppendRetry } from "../db/event-store";
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
    const claimed = await withAppendRetry(db, async (trx) => {
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
