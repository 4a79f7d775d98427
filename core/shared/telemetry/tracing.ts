import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { currentScope, scopedContext } from "./scope";

export type { Span };

/**
 * The share of new traces production keeps (deploy/k8s sets it; benchmarks measure with it). Every recorded
 * span costs CPU on the hot path: at 1 the checkout cost about a quarter more CPU per order than at 0.
 */
export const PRODUCTION_SAMPLE_RATIO = 0.1;
export { SpanKind };

export interface TracingOptions {
  /** Zipkin's span intake, e.g. http://127.0.0.1:9411/api/v2/spans; without it spans are not exported. */
  zipkinUrl?: string;
  /** Share of new traces kept (a remote parent's sampling decision always wins). */
  sampleRatio?: number;
}

// One provider per service, so that services sharing one process (dev, tests) still show as themselves.
const providers = new Map<string, BasicTracerProvider>();
let testExporter: InMemorySpanExporter | undefined;
let installed = false;

function installGlobals(): void {
  if (installed) return;
  installed = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}

/**
 * Stamps every span started in an order's scope with `orderId` (one name for the order on every span, as on
 * every log line), so Zipkin's `annotationQuery=orderId=<id>` finds the whole order.
 */
const orderIdStamp: SpanProcessor = {
  onStart(span, parent) {
    const { orderId } = currentScope(parent);
    if (orderId) span.setAttribute("orderId", orderId);
  },
  onEnd() {},
  forceFlush: async () => {},
  shutdown: async () => {},
};

/**
 * Hands finished spans to the test exporter once a test asked for one. Every provider has it from the start:
 * a provider cannot gain processors later, and bun runs many test files in one process, so a service set up
 * by an earlier file would otherwise record nothing for a later file's exporter.
 */
const testRecorder: SpanProcessor = {
  onStart() {},
  onEnd(span) {
    testExporter?.export([span], () => {});
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** Sets up tracing for one service of this process; later calls for the same service are no-ops. */
export function initTracing(service: string, options: TracingOptions = {}): void {
  installGlobals();
  if (providers.has(service)) return;
  const spanProcessors: SpanProcessor[] = [orderIdStamp];
  if (options.zipkinUrl) {
    spanProcessors.push(
      new BatchSpanProcessor(new ZipkinExporter({ url: options.zipkinUrl, serviceName: service }), {
        scheduledDelayMillis: 1_000,
      }),
    );
  }
  spanProcessors.push(testRecorder);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors,
  });
  providers.set(service, provider);
  if (providers.size === 1) trace.setGlobalTracerProvider(provider);
}

/** Test only: every service set up after this call also records its finished spans in the returned exporter. */
export function useInMemoryTracing(): InMemorySpanExporter {
  testExporter ??= new InMemorySpanExporter();
  return testExporter;
}

/** Exports what is buffered and stops every provider (on shutdown, so the last spans are not lost). */
export async function shutdownTracing(): Promise<void> {
  await Promise.allSettled([...providers.values()].map((provider) => provider.shutdown()));
  providers.clear();
}

/** Exports what is buffered now, without stopping. */
export async function flushTracing(): Promise<void> {
  await Promise.allSettled([...providers.values()].map((provider) => provider.forceFlush()));
}

/** The tracer of the service working in the active context (falls back to the process's first service). */
export function tracer(service = currentScope().service): Tracer {
  const provider = (service && providers.get(service)) || trace.getTracerProvider();
  return provider.getTracer("quickcommerce");
}

export interface SpanOptions {
  kind?: SpanKind;
  /** Parent context (e.g. from extractContext); default the active one. */
  parent?: Context;
  /** The service doing the work, when it differs from the active scope (e.g. a consumer's own service). */
  service?: string;
}

/**
 * Runs `fn` inside a new span that becomes the active one; the span ends when `fn` settles and records
 * an error status and the exception when it throws. `withSpan("reserve stock", { orderId }, () => ...)`.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T,
  options: SpanOptions = {},
): T {
  const parent = scopedContext({ service: options.service }, options.parent ?? context.active());
  return tracer(currentScope(parent).service).startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes },
    parent,
    (span) => {
      const fail = (error: unknown) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        span.end();
        throw error;
      };
      try {
        const result = fn(span);
        if (result instanceof Promise) {
          return result.then((value) => {
            span.end();
            return value;
          }, fail) as T;
        }
        span.end();
        return result;
      } catch (error) {
        return fail(error);
      }
    },
  );
}

/**
 * Adds `traceparent` (and `tracestate`) of the active span, and the scope's order id as `baggage`, to
 * outgoing HTTP or Kafka headers.
 */
export function injectTraceHeaders(headers: Record<string, string> = {}): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

type HeaderSource = Headers | Record<string, string | undefined | null>;

/** The remote parent carried by incoming HTTP or Kafka headers (the active context when there is none). */
export function extractContext(headers: HeaderSource, base: Context = context.active()): Context {
  const getter = {
    keys: (carrier: HeaderSource) =>
      carrier instanceof Headers ? [...carrier.keys()] : Object.keys(carrier),
    get: (carrier: HeaderSource, key: string) =>
      (carrier instanceof Headers ? carrier.get(key) : carrier[key]) ?? undefined,
  };
  return propagation.extract(base, headers, getter);
}

/** The active span's W3C `traceparent`, for a message envelope (`createMessage(..., { traceparent })`). */
export function currentTraceparent(): string | null {
  return injectTraceHeaders().traceparent ?? null;
}

/** The active trace id, or undefined outside any span. */
export function currentTraceId(active: Context = context.active()): string | undefined {
  const span = trace.getSpanContext(active);
  return span && span.traceId !== "00000000000000000000000000000000" ? span.traceId : undefined;
}
