import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { claimOverdue } from "../db/aggregate-repository";
import type { Database } from "../db/schema";
import { applySagaInput } from "./apply";
import { firstDue, type SagaSettings } from "./settings";

/**
 * Fires every overdue saga's deadline, one order per transaction. The deadline lives in the order's row,
 * so a restarted (or another) order instance picks up exactly where a killed one stopped.
 */
export async function sweepOverdueSagas(db: Kysely<Database>, settings: SagaSettings): Promise<number> {
  let fired = 0;
  for (;;) {
    const claimed = await transact(db, async (trx) => {
      const aggregate = await claimOverdue(trx);
      if (!aggregate) return false;
      const { saga } = aggregate;
      const input = {
        type: "DeadlinePassed",
        attempt: saga.attempt,
        late: firstDue(settings, saga),
      } as const;
      await applySagaInput(trx, settings, aggregate.orderId, input, { locked: aggregate });
      return true;
    });
    if (!claimed) return fired;
    fired++;
  }
}
