import { context, ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
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
    const type = (row.payload as { type?: string }).type ?? "message";
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
      extractContext(row.headers, ROOT_CONTEXT),
    );
    spans.push(span);
    headers.set(
      row,
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => injectTraceHeaders(own)),
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
