import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  isBrokenCircuitError,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";
import { type BreakerState, metrics } from "../telemetry/metrics";

export { BrokenCircuitError, BulkheadRejectedError, isBrokenCircuitError, TaskCancelledError };

/**
 * Our own breaker or bulkhead refused the call: the peer is down or saturated, the work itself is fine and
 * will succeed once the peer is back, so it is waited for, never dead-lettered.
 */
export const isPeerUnavailable = (error: unknown): boolean =>
  error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError;

export interface PolicyOptions {
  /** Deadline of one attempt. */
  timeoutMs?: number;
  /** Further attempts after the first, with exponential backoff. */
  retries?: number;
  /** Consecutive failures that open the breaker, and how long it stays open before a trial call. */
  breakAfter?: number;
  halfOpenAfterMs?: number;
  /** Calls allowed in flight at once, and how many may wait; beyond that calls are rejected at once. */
  concurrency?: number;
  queue?: number;
  /** Which errors count as failures worth retrying (default: all but a broken circuit or full bulkhead). */
  isTransient?: (error: Error) => boolean;
}

export interface NamedPolicy {
  name: string;
  policy: IPolicy;
  /** Runs `call` under the policy; the AbortSignal fires when the attempt's deadline passes. */
  execute<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Open]: "open",
  [CircuitState.Isolated]: "open",
};

const notOurOwn = (error: Error) =>
  !(error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError);

/**
 * The policy for one downstream (a service or the payment provider): bulkhead → breaker → retry → timeout.
 * The bulkhead is outermost so a slow dependency can only hold its own slots; the breaker sits outside the
 * retries so one logical call counts once. Breaker state changes and bulkhead rejections are recorded as
 * the `circuit_breaker_state` and `bulkhead_rejections_total` metrics, labelled with `name`.
 */
export function policyFor(name: string, options: PolicyOptions = {}): NamedPolicy {
  const transient = handleWhen(
    (error) => notOurOwn(error as Error) && (options.isTransient?.(error as Error) ?? true),
  );
  const attemptTimeout = timeout(options.timeoutMs ?? 2_000, TimeoutStrategy.Aggressive);
  const retries = retry(transient, {
    maxAttempts: options.retries ?? 2,
    backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
  });
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
    breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
  });
  const limiter = bulkhead(options.concurrency ?? 50, options.queue ?? 100);
  // Operators see each downstream's breaker and bulkhead in the metrics.
  metrics.breakerState(name, "closed");
  breaker.onStateChange((state) => metrics.breakerState(name, BREAKER_STATES[state]));
  limiter.onReject(() => metrics.bulkheadRejected(name));
  const policy = wrap(limiter, breaker, retries, attemptTimeout);
  return {
    name,
    policy,
    execute: (call) => policy.execute(({ signal }) => call(signal)),
  };
}
