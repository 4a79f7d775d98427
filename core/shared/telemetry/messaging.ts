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
  const parent = scopedContext(
    { service: consumed.service, correlationId: message.correlationId, orderId: orderIdOf(message.data) },
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

export interface TakenWorkItem {
  /** What kind of work it is (e.g. `PickTask`): the span is `<kind> process`. */
  kind: string;
  item: { messageId: string; attempt: number; body: unknown; trace: Record<string, string> };
  /** The queue (or key) it was taken from. */
  queue: string;
  service?: string;
}

/**
 * Runs the work of an item taken from a RabbitMQ queue inside a consumer span that continues its publisher's
 * trace (the item's AMQP trace headers), with the order it is about (its body's orderId, else the baggage's) in
 * scope, so the span and everything under it carry `orderId`.
 */
export function withWorkItemSpan<T>(
  { kind, item, queue, service }: TakenWorkItem,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = scopedContext({ service, orderId: orderIdOf(item.body) }, extractContext(item.trace));
  return withSpan(
    `${kind} process`,
    {
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "process",
      "messaging.message.id": item.messageId,
      "messaging.destination.name": queue,
      "messaging.rabbitmq.attempt": item.attempt,
    },
    fn,
    { kind: SpanKind.CONSUMER, parent },
  );
}
