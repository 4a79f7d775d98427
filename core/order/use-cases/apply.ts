import type { MessageMeta } from "@qc/contracts";
import type { Kysely } from "kysely";
import { afterCommit } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import { lockAggregate, type OrderAggregate, saveStep } from "../db/aggregate-repository";
import type { Database } from "../db/schema";
import { eventOf, type OrderEvent, type OrderState } from "../domain/order";
import { type SagaInput, transition } from "../domain/saga";
import { announcements, commandMessage } from "./messages";
import { recordSagaOutcome } from "./saga-metrics";
import { deadlineOf, type SagaSettings } from "./settings";
import { orderStatusChanged } from "./status-changes";

export interface Cause {
  id?: string;
  correlationId?: string;
  traceparent?: string | null;
}

/**
 * Feeds one input to an order's saga inside the caller's transaction: locks the order, runs the pure
 * transition, records the resulting facts (and `events`, e.g. the rider's progress) as order events with the
 * snapshot and the projection, sends the commands and announcements through the outbox, and sets the
 * saga's next deadline — all or nothing. Returns the order's new state, or null for an unknown order.
 */
export async function applySagaInput(
  trx: Kysely<Database>,
  settings: SagaSettings,
  orderId: string,
  input: SagaInput,
  options: { cause?: Cause; locked?: OrderAggregate; events?: readonly OrderEvent[] } = {},
): Promise<OrderState | null> {
  const aggregate = options.locked ?? (await lockAggregate(trx, orderId));
  if (!aggregate) return null;
  const { state, commands, facts } = transition(aggregate.saga, input);
  const events = [...facts.map(eventOf), ...(options.events ?? [])];
  if (state === aggregate.saga && events.length === 0) return aggregate.order;

  const cause = options.cause ?? {};
  const meta: MessageMeta = {
    source: "order",
    correlationId: cause.correlationId ?? aggregate.data.correlationId,
    causationId: cause.id ?? null,
    traceparent: cause.traceparent ?? null,
  };
  const order = await saveStep(trx, aggregate, {
    saga: state,
    events,
    deadlineAt: deadlineOf(settings, state),
  });
  await enqueue(
    trx,
    ...commands.map((command) =>
      commandMessage(command, orderId, aggregate.data, meta, settings.reservationTtlMs),
    ),
    ...announcements(facts, order, state, aggregate.data, meta),
  );
  // Counted and told only once the change is durable: a rolled-back round must not count twice.
  afterCommit(trx, () => {
    recordSagaOutcome(facts, order);
    if (order.status !== aggregate.order.status) orderStatusChanged(orderId, order.status);
  });
  return order;
}
