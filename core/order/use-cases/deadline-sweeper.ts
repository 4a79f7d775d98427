import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { claimOverdue, extendDeadlines } from "../db/aggregate-repository";
import type { Database } from "../db/schema";
import type { SagaStep } from "../domain/saga";
import { applySagaInput } from "./apply";
import { firstDue, type SagaSettings } from "./settings";

/** Whether the service that performs a step is known to be down right now (none of its instances runs). */
export type ParticipantDown = (step: SagaStep) => Promise<boolean>;

/**
 * Fires every overdue saga's deadline, one order per transaction. The deadline lives in the order's row,
 * so a restarted (or another) order instance picks up exactly where a killed one stopped. A deadline whose
 * step waits on a participant known to be down is not the shopper's failure: it is pushed out by the grace
 * period instead, and fires only if the step is still late once the participant is back.
 */
export async function sweepOverdueSagas(
  db: Kysely<Database>,
  settings: SagaSettings & { outageGraceMs: number },
  participantDown: ParticipantDown = async () => false,
): Promise<number> {
  let fired = 0;
  for (;;) {
    const claimed = await transact(db, async (trx) => {
      const aggregate = await claimOverdue(trx);
      if (!aggregate) return false;
      const { saga } = aggregate;
      const late = firstDue(settings, saga);
      if (late && (await participantDown(late))) {
        await extendDeadlines(trx, settings.outageGraceMs, aggregate.orderId);
        return true;
      }
      const input = { type: "DeadlinePassed", attempt: saga.attempt, late } as const;
      await applySagaInput(trx, settings, aggregate.orderId, input, { locked: aggregate });
      fired++;
      return true;
    });
    if (!claimed) return fired;
  }
}
