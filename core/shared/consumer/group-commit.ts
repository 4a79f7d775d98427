interface Waiting<T> {
  items: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the submissions that arrive together (the partitions of one fetch are handed over in the same
 * turn of the event loop) into one call of `handle`, so they share one transaction and one commit. Each
 * submission resolves when the call that carried it did.
 */
export function groupCommits<T>(handle: (batch: T[]) => Promise<void>) {
  let waiting: Waiting<T>[] = [];

  const flush = async () => {
    const round = waiting;
    waiting = [];
    try {
      await handle(round.map((one) => one.items));
      for (const one of round) one.resolve();
    } catch (error) {
      for (const one of round) one.reject(error);
    }
  };

  return {
    submit(items: T): Promise<void> {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ items, resolve, reject });
      return promise;
    },
  };
}
