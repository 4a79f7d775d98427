import { type AnyMessage, topicOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { afterCommit } from "../db/transaction";
import { injectTraceHeaders } from "../telemetry/tracing";
import { outboxCommitted } from "./wakeup";

/**
 * Writes outgoing messages into the service's outbox. Call it with the transaction that writes the
 * state change, so both commit or neither does; the relay publishes them afterwards, woken by the commit.
 *
 * Each message carries the active span's `traceparent` (the HTTP request or consumed message that wrote
 * it), falling back to the one it was created with, so every hop of a saga joins the trace that caused it
 * without any service passing trace context to createMessage. The relay sends it as a Kafka header, with
 * the scope's order id as `baggage`.
 */
export async function enqueue(trx: Kysely<any>, ...messages: AnyMessage[]): Promise<void> {
  if (messages.length === 0) return;
  // traceparent of the active span, and the order in scope as baggage.
  const active = injectTraceHeaders();
  await trx
    .insertInto("outbox")
    .values(
      messages.map((message) => {
        const traceparent = active.traceparent ?? message.traceparent ?? null;
        return {
          id: message.id,
          topic: topicOf(message.type),
          key: message.subject,
          type: message.type,
          payload: JSON.stringify({ ...message, traceparent }),
          headers: JSON.stringify(active.traceparent ? active : traceparent ? { traceparent } : {}),
        };
      }),
    )
    .execute();
  afterCommit(trx, outboxCommitted);
}
