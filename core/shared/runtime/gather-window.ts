/**
 * Gathers the items handed in within `windowMs` of the first one into a single `flush` call, so a burst
 * costs one request or statement instead of one each. Every caller's promise settles with the flush that
 * carried its items, so a caller still learns when its part failed.
 */
export function gatherWithin<T>(windowMs: number, flush: (items: T[]) => Promise<unknown>) {
  let pending: { items: T[]; done: Promise<void> } | undefined;
  return (...items: T[]): Promise<void> => {
    if (!pending) {
      const batch = { items: [] as T[], done: Promise.resolve() };
      batch.done = Bun.sleep(windowMs).then(async () => {
        pending = undefined;
        await flush(batch.items);
      });
      pending = batch;
    }
    pending.items.push(...items);
    return pending.done;
  };
}
