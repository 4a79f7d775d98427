/**
 * Wakes the relays of this process when a transaction that wrote an outbox commits. In process, after the
 * commit (see `transact`): no NOTIFY inside the business transaction, whose commit Postgres would otherwise
 * serialise on its global notify lock, so concurrent commits could not share an fsync. Every relay writes
 * its own service's outbox in its own process, so nobody else needs to hear of it; a commit this signal
 * misses (a transaction opened without `transact`) is found by the relay's poll.
 */
export interface Wakeup {
  /**
   * Resolves on the next commit into an outbox of this process (true), or after `maxWaitMs` (false),
   * whichever is first.
   */
  wait(maxWaitMs: number): Promise<boolean>;
  /** Counts as a commit for this waiter alone (one another instance reported). */
  nudge(): void;
  close(): void;
}

const listeners = new Set<() => void>();

/** Tells every relay of this process that outbox rows were committed. */
export function outboxCommitted(): void {
  for (const listener of listeners) listener();
}

/** A relay's wake-up: a commit that lands while the relay is busy is remembered, so its next wait returns at once. */
export function wakeOnCommit(): Wakeup {
  let pending = true;
  let closed = false;
  let wake: (() => void) | undefined;
  const listener = () => {
    pending = true;
    wake?.();
  };
  listeners.add(listener);
  return {
    async wait(maxWaitMs) {
      if (!pending && !closed) {
        const { promise, resolve } = Promise.withResolvers<void>();
        wake = resolve;
        const timer = setTimeout(resolve, maxWaitMs);
        await promise;
        clearTimeout(timer);
        wake = undefined;
      }
      const woken = pending;
      pending = false;
      return woken;
    },
    nudge: listener,
    close() {
      closed = true;
      listeners.delete(listener);
      wake?.();
    },
  };
}

/** A wake-up that hears no commit: the relay simply polls every maxWaitMs (for comparison in the backbone bench). */
export const pollOnly: Wakeup = {
  wait: (maxWaitMs) => Bun.sleep(maxWaitMs).then(() => false),
  nudge: () => {},
  close: () => {},
};
