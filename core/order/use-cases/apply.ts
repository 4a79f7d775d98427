import type { EventActor, MessageMeta } from "@qc/contracts";
import type { Kysely } from "kysely";
import { afterCommit } from "../../shared/db/transaction";
import type { Identity } from "../../shared/http/edge-identity";
import { enqueue } from "../../shared/outbox/enqueue";
import { currentScope } from "../../shared/telemetry/scope";
import { lockAggregate, type OrderAggregate, saveStep } from "../db/aggregate-repository";
import type { Database } from "../db/schema";
import { type EventCause, eventOf, type OrderEvent, type OrderState, toView } from "../domain/order";
import { type SagaInput, transition } from "../domain/saga";
import { announcements, commandMessage } from "./messages";
import { recordSagaOutcome } from "./saga-metrics";
import { deadlineOf, type SagaSettings } from "./settings";
import { orderStatusChanged } from "./status-changes";

/** The message a step answers (a participant's reply or event); none for a request or a timer. */
export interface Cause {
  id?: string;
  /** The service that sent it. */
  source?: string;
  correlationId?: string;
  traceparent?: string | null;
}

/** A signed-in caller as the actor of the events its request records. */
export const actorOf = (identity: Identity): EventActor => ({
  kind: identity.roles.includes("admin") ? "admin" : "shopper",
  id: identity.userId,
});

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
  options: {
    cause?: Cause;
    actor?: EventActor;
    locked?: OrderAggregate;
    events?: readonly OrderEvent[];
  } = {},
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
  // The audit trail: a request's correlation id (X-Request-Id) or the message's, the message that caused
  // the step, and who did: the caller, the service that sent the message, or this service's own timer.
  const eventCause: EventCause = {
    correlationId: cause.correlationId ?? currentScope().correlationId ?? aggregate.data.correlationId,
    causationId: cause.id ?? null,
    actor: options.actor ?? { kind: "service", id: cause.source ?? "order" },
  };
  const order = await saveStep(
    trx,
    aggregate,
    { saga: state, events, cause: eventCause, deadlineAt: deadlineOf(settings, state) },
    settings.snapshotEvery,
  );
  await enqueue(
    trx,
    ...commands.map((command) =>
      commandMessage(command, order, aggregate.data, meta, settings.reservationTtlMs),
    ),
    ...announcements(facts, order, state, aggregate.data, meta),
  );
  // Counted and told only once the change is durable: a rolled-back round must not count twice.
  afterCommit(trx, () => {
    recordSagaOutcome(facts, order);
    if (order.status !== aggregate.order.status) orderStatusChanged(toView(order));
  });
  return order;
}
