export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold?: number;
  /** How long the circuit stays open before one probe is let through. */
  openMs?: number;
}

export class BreakerOpenError extends Error {
  constructor() {
    super("circuit open");
  }
}

/**
 * A consecutive-failure circuit breaker kept in module scope, so it lives as long as the isolate.
 *
 * Why not cockatiel (core uses it): it runs in workerd, but in half-open state it parks concurrent
 * callers on a promise that the probing request created and settles. If that request is cancelled
 * (client gone) before it settles the promise, workerd cancels the waiters' continuations and they hang
 * until the isolate goes (cloudflare/workerd#2719, cloudflare/cloudflare-docs#29797). This breaker never
 * waits on another request: while a probe is in flight every other call fails fast, which is what a
 * dead core should cause anyway.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  // When the current half-open probe started; a probe whose request was cancelled never reports back,
  // so one older than `openMs` counts as lost and another may go.
  private probeStartedAt: number | null = null;
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.threshold ?? 5;
    this.openMs = options.openMs ?? 10_000;
  }

  get state(): "closed" | "open" | "half-open" {
    if (this.openedAt === null) return "closed";
    const now = Date.now();
    const probeInFlight = this.probeStartedAt !== null && now - this.probeStartedAt < this.openMs;
    return now - this.openedAt < this.openMs || probeInFlight ? "open" : "half-open";
  }

  /** Runs `task` unless the circuit is open; a thrown error or `isFailure(result)` counts against it. */
  async run<T>(task: () => Promise<T>, isFailure: (result: T) => boolean = () => false): Promise<T> {
    const state = this.state;
    if (state === "open") throw new BreakerOpenError();
    if (state === "half-open") this.probeStartedAt = Date.now();
    let result: T;
    try {
      result = await task();
    } catch (error) {
      this.record(false);
      throw error;
    }
    this.record(!isFailure(result));
    return result;
  }

  private record(ok: boolean): void {
    this.probeStartedAt = null;
    if (ok) {
      this.failures = 0;
      this.openedAt = null;
      return;
    }
    this.failures += 1;
    // A failed probe re-opens at once; otherwise open after `threshold` failures in a row.
    if (this.openedAt !== null || this.failures >= this.threshold) this.openedAt = Date.now();
  }
}
