import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The one Prometheus registry of this process, served at `GET /metrics` by every service in it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CHECKOUT_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60];

const httpRequests = new Counter({
  name: "http_requests_total",
  help: "HTTP requests answered, by service, method, route template and status",
  labelNames: ["service", "method", "route", "status"],
  registers: [registry],
});
const httpDuration = new Histogram({
  name: "http_request_duration_seconds",
  help: "HTTP request latency, by service, method, route template and status class",
  labelNames: ["service", "method", "route", "status_class"],
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
/** The conventional grpc_<side>_handled_total and grpc_<side>_handling_seconds of one side of a call. */
const grpcCalls = (side: "client" | "server", what: string) => ({
  handled: new Counter({
    name: `grpc_${side}_handled_total`,
    help: `${what}, by service, gRPC service, method and status code`,
    labelNames: ["service", "grpc_service", "grpc_method", "grpc_code"],
    registers: [registry],
  }),
  seconds: new Histogram({
    name: `grpc_${side}_handling_seconds`,
    help: `${what}: latency, by service, gRPC service and method`,
    labelNames: ["service", "grpc_service", "grpc_method"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
});
const grpcClientCalls = grpcCalls("client", "gRPC calls made, each attempt as the calling service saw it");
const grpcServerCalls = grpcCalls("server", "gRPC calls answered by the serving service");
const consumerLag = new Gauge({
  name: "kafka_consumer_lag",
  help: "Messages between a partition's high watermark and the group's committed offset",
  labelNames: ["group", "topic", "partition"],
  registers: [registry],
});
const handlerDuration = new Histogram({
  name: "kafka_handler_duration_seconds",
  help: "Time to handle one consumed message, inbox transaction included",
  labelNames: ["group", "type", "outcome"],
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
const deadLetters = new Counter({
  name: "kafka_dead_letters_total",
  help: "Messages sent to a dead-letter topic",
  labelNames: ["group", "topic"],
  registers: [registry],
});
const outboxBacklogAge = new Gauge({
  name: "outbox_backlog_age_seconds",
  help: "Age of the oldest unpublished outbox message (0 when the outbox is empty)",
  labelNames: ["service"],
  registers: [registry],
});
const outboxBacklogSize = new Gauge({
  name: "outbox_backlog_messages",
  help: "Unpublished outbox messages",
  labelNames: ["service"],
  registers: [registry],
});
const sagaOutcomes = new Counter({
  name: "saga_outcomes_total",
  help: "Checkout sagas finished, by outcome (confirmed, rejected, compensated) and rejection reason",
  labelNames: ["outcome", "reason"],
  registers: [registry],
});
const checkoutToConfirmed = new Histogram({
  name: "checkout_to_confirmed_seconds",
  help: "Time from order placement to CONFIRMED",
  buckets: CHECKOUT_BUCKETS,
  registers: [registry],
});
const stockConflicts = new Counter({
  name: "stock_reservation_conflicts_total",
  help: "Stock reservations refused because another reservation won the last units",
  labelNames: ["store"],
  registers: [registry],
});
const cacheLookups = new Counter({
  name: "cache_lookups_total",
  help: "Cache lookups by cache, level (local, redis) and result (hit, miss)",
  labelNames: ["cache", "level", "result"],
  registers: [registry],
});
const breakerState = new Gauge({
  name: "circuit_breaker_state",
  help: "Circuit breaker of a downstream: 0 closed, 1 half-open, 2 open",
  labelNames: ["dependency"],
  registers: [registry],
});
const breakerTransitions = new Counter({
  name: "circuit_breaker_transitions_total",
  help: "Circuit breaker state changes, by the state entered",
  labelNames: ["dependency", "state"],
  registers: [registry],
});
const bulkheadRejections = new Counter({
  name: "bulkhead_rejections_total",
  help: "Calls to a downstream refused at once because its bulkhead and queue were full",
  labelNames: ["dependency"],
  registers: [registry],
});

export type SagaOutcome = "confirmed" | "rejected" | "compensated";
export type BreakerState = "closed" | "half_open" | "open";
const BREAKER_LEVEL: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** The named metrics services record; each is one line at the place the thing happens. */
export const metrics = {
  /** One answered HTTP request (recorded by startService for every route). */
  httpRequest(service: string, method: string, route: string, status: number, seconds: number): void {
    httpRequests.inc({ service, method, route, status: String(status) });
    httpDuration.observe({ service, method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  },
  /** One gRPC call attempt as its caller saw it; `code` is the status name (OK, DEADLINE_EXCEEDED...). */
  grpcClientCall(service: string, grpcService: string, method: string, code: string, seconds: number): void {
    grpcClientCalls.handled.inc({ service, grpc_service: grpcService, grpc_method: method, grpc_code: code });
    grpcClientCalls.seconds.observe({ service, grpc_service: grpcService, grpc_method: method }, seconds);
  },
  /** One gRPC call answered by a service. */
  grpcServerCall(service: string, grpcService: string, method: string, code: string, seconds: number): void {
    grpcServerCalls.handled.inc({ service, grpc_service: grpcService, grpc_method: method, grpc_code: code });
    grpcServerCalls.seconds.observe({ service, grpc_service: grpcService, grpc_method: method }, seconds);
  },
  /** A partition's lag for a consumer group: high watermark minus committed offset. */
  consumerLag(group: string, topic: string, partition: number, lag: number): void {
    consumerLag.set({ group, topic, partition: String(partition) }, lag);
  },
  /** One handled message; outcome "ok", "retry" or "dead_letter". */
  handlerDuration(group: string, type: string, outcome: string, seconds: number): void {
    handlerDuration.observe({ group, type, outcome }, seconds);
  },
  /** A message moved to `<topic>.dlq`. */
  deadLettered(group: string, topic: string): void {
    deadLetters.inc({ group, topic });
  },
  /** The outbox of a service right now: unpublished messages and the age of the oldest. */
  outboxBacklog(service: string, messages: number, oldestAgeSeconds: number): void {
    outboxBacklogSize.set({ service }, messages);
    outboxBacklogAge.set({ service }, oldestAgeSeconds);
  },
  /** A checkout saga finished: `metrics.sagaOutcome("rejected", "OUT_OF_STOCK")`. */
  sagaOutcome(outcome: SagaOutcome, reason = ""): void {
    sagaOutcomes.inc({ outcome, reason });
  },
  /** An order reached CONFIRMED this many seconds after it was placed. */
  checkoutConfirmed(seconds: number): void {
    checkoutToConfirmed.observe(seconds);
  },
  /** A reservation lost the race for the last units of a SKU in a store. */
  stockConflict(store = ""): void {
    stockConflicts.inc({ store });
  },
  /** A cache lookup at one level: `metrics.cacheLookup("catalog", "local", true)`. */
  cacheLookup(cache: string, level: "local" | "redis", hit: boolean): void {
    cacheLookups.inc({ cache, level, result: hit ? "hit" : "miss" });
  },
  /** A downstream's breaker entered a state (recorded by the resilience policy). */
  breakerState(dependency: string, state: BreakerState): void {
    breakerState.set({ dependency }, BREAKER_LEVEL[state]);
    breakerTransitions.inc({ dependency, state });
  },
  /** A call refused by a full bulkhead (recorded by the resilience policy). */
  bulkheadRejected(dependency: string): void {
    bulkheadRejections.inc({ dependency });
  },
};

/** Starts a timer; calling the result returns the seconds since. */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
}
