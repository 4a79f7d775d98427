import { availableParallelism } from "node:os";
import { AppError } from "../../shared/http/errors";
import { metrics } from "../../shared/telemetry/metrics";

/**
 * OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane (Bun hashes with one lane). Measured on the 2-core
 * development machine: ~43 ms per hash and ~50 ms per verify, against ~195 ms with Bun's defaults (64 MiB).
 * Hashes made with other parameters still verify: they are read from the stored hash.
 */
export const ARGON2ID = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

/** Refused at once because the password work already queued would take longer than the wait budget. */
export class PasswordWorkShed extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(503, "overloaded", "Too many sign-ins at once; try again shortly", undefined, {
      "retry-after": String(retryAfterSeconds),
    });
  }
}

export interface PasswordHasherOptions {
  /** Hashes running at once; default one per core, since each holds a core for its whole duration. */
  concurrency?: number;
  /** The longest a request may wait for a slot, by the current cost per hash; beyond it: shed at once. */
  maxWaitMs?: number;
  /** Starting estimate of one hash, refined by each measured one. */
  initialCostMs?: number;
}

export interface PasswordHasher {
  hash(password: string, signal?: AbortSignal): Promise<string>;
  verify(password: string, hash: string, signal?: AbortSignal): Promise<boolean>;
  /** Requests running and waiting, and the current cost estimate (tests, logs). */
  readonly stats: { running: number; queued: number; costMs: number };
}

/**
 * argon2id behind a per-process limit. A burst is queued only as deep as can be served within `maxWaitMs`
 * (at the measured cost per hash); the rest is refused at once with a 503 and `Retry-After`, so a caller
 * (the edge, with its own timeout) gets a fast, honest answer instead of a timeout for work done later.
 * A request whose client went away while it waited is dropped without hashing.
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const concurrency = options.concurrency ?? Math.max(1, availableParallelism());
  const maxWaitMs = options.maxWaitMs ?? 3_000;
  let costMs = options.initialCostMs ?? 60;
  let running = 0;
  const waiting: { start: () => void; signal: AbortSignal | undefined }[] = [];

  const expectedWaitMs = (position: number) => Math.ceil(position / concurrency) * costMs;

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    if (running < concurrency) {
      running += 1;
      return Promise.resolve();
    }
    const wait = expectedWaitMs(waiting.length + 1);
    if (wait > maxWaitMs) {
      metrics.bulkheadRejected("password-hashing");
      throw new PasswordWorkShed(Math.max(1, Math.ceil(wait / 1000)));
    }
    return new Promise((resolve, reject) => {
      const entry = { start: resolve, signal };
      waiting.push(entry);
      signal?.addEventListener(
        "abort",
        () => {
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  };

  const release = () => {
    // The slot passes straight to the next waiter, so `running` only drops when nobody waits.
    const next = waiting.shift();
    if (next) next.start();
    else running -= 1;
  };

  const limited = async <T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    await acquire(signal);
    const started = performance.now();
    try {
      return await work();
    } finally {
      // A moving average follows the machine's load (other processes share its cores).
      costMs = costMs * 0.8 + (performance.now() - started) * 0.2;
      release();
    }
  };

  return {
    hash: (password, signal) => limited(() => Bun.password.hash(password, ARGON2ID), signal),
    verify: (password, hash, signal) => limited(() => Bun.password.verify(password, hash), signal),
    get stats() {
      return { running, queued: waiting.length, costMs };
    },
  };
}
