/**
 * Gathers the items handed in within `windowMs` of the first one into a single `flush` call, so a burst
 * costs one request or statement instead of one each. Every caller's promise settles with the flush that
 * carried its items (its result, e.g. what a gathered lookup found), so a caller still learns when its
 * part failed.
 */
export function gatherWithin<T, R = unknown>(windowMs: number, flush: (items: T[]) => Promise<R>) {
  let pending: { items: T[]; done: Promise<R> } | undefined;
  return (...items: T[]): Promise<R> => {
    if (!pending) {
      const batch: { items: T[]; done: Promise<R> } = { items: [], done: Promise.resolve() as Promise<R> };
      batch.done = Bun.sleep(windowMs).then(() => {
        pending = undefined;
        return flush(batch.items);
      });
      pending = batch;
    }
    pending.items.push(...items);
    return pending.done;
  };
}
