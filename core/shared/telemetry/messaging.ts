import type { Envelope } from "@qc/contracts";
import { scopedContext } from "./scope";
import { extractContext, SpanKind, withSpan } from "./tracing";

export interface ConsumedMessage {
  message: Pick<Envelope, "id" | "type" | "subject" | "correlationId" | "traceparent" | "data">;
  /** Kafka headers of the record; their `traceparent` wins over the envelope's. */
  headers?: Record<string, string | undefined>;
  topic?: string;
  group?: string;
  /** The consuming service, so its span shows under its own name when services share a process. */
  service?: string;
}

/** The order a message is about, when its data names one. */
export const orderIdOf = (data: unknown): string | undefined => {
  const orderId = (data as { orderId?: unknown } | null)?.orderId;
  return typeof orderId === "string" ? orderId : undefined;
};

/**
 * Runs a message handler inside a consumer span that continues the producer's trace, with the message's
 * correlation id and order id in scope for every span and log line. One line in a consumer:
 * `await withMessageSpan({ message, headers: record.headers, topic, group }, () => handle(message))`.
 */
export function withMessageSpan<T>(consumed: ConsumedMessage, fn: () => Promise<T>): Promise<T> {
  const { message } = consumed;
  const carrier = { traceparent: message.traceparent ?? undefined, ...consumed.headers };
  const orderId = orderIdOf(message.data);
  const parent = scopedContext(
    {
      service: consumed.service,
      correlationId: message.correlationId,
      orderId,
    },
    extractContext(carrier),
  );
  return withSpan(
    `${message.type} process`,
    {
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.message.id": message.id,
      "messaging.kafka.message.key": message.subject,
      ...(consumed.topic ? { "messaging.destination.name": consumed.topic } : {}),
      ...(consumed.group ? { "messaging.consumer.group.name": consumed.group } : {}),
    },
    fn,
    { kind: SpanKind.CONSUMER, parent },
  );
}
