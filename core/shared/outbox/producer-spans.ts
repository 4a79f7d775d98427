import { context, ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { orderIdOf } from "../telemetry/messaging";
import { scopedContext } from "../telemetry/scope";
import type { Span } from "../telemetry/tracing";
import { extractContext, injectTraceHeaders, SpanKind, tracer } from "../telemetry/tracing";
import type { OutboxRow } from "./claim";

export interface PublishSpans {
  /** The row's Kafka headers, its `traceparent` now naming the producer span, so the consumer is its child. */
  headersOf(row: OutboxRow): Record<string, string>;
  /** Ends every span, failed when the publish failed. */
  end(error?: unknown): void;
}

/**
 * A PRODUCER span per published row, child of the span that enqueued it (the row's `traceparent`), lasting
 * until Kafka acknowledged the batch. Rows enqueued outside any trace are sent without starting one.
 */
export function startPublishSpans(
  service: string,
  rows: OutboxRow[],
  destination: (row: OutboxRow) => string,
): PublishSpans {
  const spans: Span[] = [];
  const headers = new Map<OutboxRow, Record<string, string>>();
  for (const row of rows) {
    const own = { ...row.headers, "message-id": row.id };
    if (!row.headers.traceparent) {
      headers.set(row, own);
      continue;
    }
    const payload = row.payload as { type?: string; data?: unknown };
    const type = payload.type ?? "message";
    // The enqueuer's scope came along as baggage; a message about an order names it in its data anyway.
    const parent = scopedContext(
      { orderId: orderIdOf(payload.data) },
      extractContext(row.headers, ROOT_CONTEXT),
    );
    const span = tracer(service).startSpan(
      `${type} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": destination(row),
          "messaging.message.id": row.id,
          "messaging.kafka.message.key": row.key,
        },
      },
      parent,
    );
    spans.push(span);
    headers.set(
      row,
      context.with(trace.setSpan(parent, span), () => injectTraceHeaders(own)),
    );
  }
  return {
    headersOf: (row) => headers.get(row) ?? { ...row.headers, "message-id": row.id },
    end(error) {
      for (const span of spans) {
        if (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      }
    },
  };
}
