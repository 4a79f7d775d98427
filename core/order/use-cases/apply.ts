import type { MessageMeta } from "@qc/contracts";
import type { Kysely } from "kysely";
import { enqueue } from "../../shared/outbox/enqueue";
import { recordEvents } from "../db/order-repository";
import { lockSaga, type SagaInstance, saveSaga } from "../db/saga-repository";
import type { Database } from "../db/schema";
import { eventOf } from "../domain/order";
import { type SagaInput, transition } from "../domain/saga";
import { announcements, commandMessage } from "./messages";
import { recordSagaOutcome } from "./saga-metrics";
import { deadlineOf, type SagaSettings } from "./settings";

export type ApplyOutcome = "applied" | "unknown_order";

/**
 * Feeds one input to an order's saga inside the caller's transaction: locks the saga, runs the pure
 * transition, records the resulting facts as order events (projections included), sends the commands and
 * announcements through the outbox, and saves the saga with its next deadline — all or nothing.
 */
export async function applySagaInput(
  trx: Kysely<Database>,
  settings: SagaSettings,
  orderId: string,
  input: SagaInput,
  cause: { id?: string; correlationId?: string; traceparent?: string | null } = {},
  locked?: SagaInstance,
): Promise<ApplyOutcome> {
  const saga = locked ?? (await lockSaga(trx, orderId));
  if (!saga) return "unknown_order";
  const { state, commands, facts } = transition(saga.state, input);
  const meta: MessageMeta = {
    source: "order",
    correlationId: cause.correlationId ?? saga.data.correlationId,
    causationId: cause.id ?? null,
    traceparent: cause.traceparent ?? null,
  };
  const order = await recordEvents(trx, orderId, facts.map(eventOf));
  const sent = commands.map((command) =>
    commandMessage(command, orderId, saga.data, meta, settings.reservationTtlMs),
  );
  const announced = order ? announcements(facts, order, state, saga.data, meta) : [];
  await enqueue(trx, ...sent, ...announced);
  recordSagaOutcome(facts, order);
  if (state !== saga.state)
    await saveSaga(trx, orderId, state, deadlineOf(settings, state.status, state.step));
  return "applied";
}
