import { type AnyMessage, topicOf } from "@qc/contracts";
import type { Kysely } from "kysely";

/**
 * Writes outgoing messages into the service's outbox. Call it with the transaction that writes the
 * state change, so both commit or neither does; the relay publishes them afterwards.
 */
export async function enqueue(trx: Kysely<any>, ...messages: AnyMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await trx
    .insertInto("outbox")
    .values(
      messages.map((message) => ({
        id: message.id,
        topic: topicOf(message.type),
        key: message.subject,
        type: message.type,
        payload: JSON.stringify(message),
        headers: JSON.stringify(message.traceparent ? { traceparent: message.traceparent } : {}),
      })),
    )
    .execute();
}
