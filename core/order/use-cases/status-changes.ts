import type { OrderView } from "@qc/contracts";
import type { RedisClient } from "bun";
import { createRedis } from "../../shared/redis";
import type { Stoppable } from "../../shared/runtime/context";
import type { Logger } from "../../shared/telemetry/logger";

// How a request waiting on an order (`Prefer: wait`) hears that it moved, without polling the database:
// the instance that committed the change tells its own waiters at once and every other instance through
// Redis pub/sub (the saga's replies may be handled by another order instance than the one holding the POST).
const CHANNEL = "order:status-changed";
// A waiter hears the order's new view when the change was committed in this process, nothing otherwise.
const waiters = new Map<string, Set<(view?: OrderView) => void>>();
let publisher: RedisClient | undefined;

const wakeWaiters = (orderId: string, view?: OrderView) => {
  const found = waiters.get(orderId);
  if (!found) return;
  waiters.delete(orderId);
  for (const wake of found) wake(view);
};

/** Called after the commit that changed an order's status, with the order's view as that commit left it. */
export function orderStatusChanged(view: OrderView): void {
  wakeWaiters(view.orderId, view);
  publisher?.publish(CHANNEL, `${view.orderId} ${view.status}`).catch(() => {});
}

/**
 * Resolves at the next status change of the order (with its view when this process committed it), or after
 * `timeoutMs`. Register before reading the order, so a change that lands between the read and the wait is not
 * missed.
 */
export interface StatusChange {
  changed: Promise<OrderView | undefined>;
  cancel(): void;
}

export function nextStatusChange(orderId: string, timeoutMs: number): StatusChange {
  const { promise, resolve } = Promise.withResolvers<OrderView | undefined>();
  const set = waiters.get(orderId) ?? new Set();
  waiters.set(orderId, set.add(resolve));
  const timer = setTimeout(() => resolve(undefined), timeoutMs);
  const cancel = () => {
    clearTimeout(timer);
    set.delete(resolve);
    if (set.size === 0 && waiters.get(orderId) === set) waiters.delete(orderId);
    resolve(undefined);
  };
  promise.then(cancel);
  return { changed: promise, cancel };
}

/** Joins this instance to the other order instances' status changes (a subscriber connection of its own). */
export async function shareStatusChanges(
  redis: RedisClient,
  redisUrl: string,
  logger: Logger,
): Promise<Stoppable> {
  publisher = redis;
  const subscriber = createRedis(redisUrl);
  try {
    await subscriber.connect();
    await subscriber.subscribe(CHANNEL, (message: string) => wakeWaiters(message.split(" ")[0] ?? ""));
  } catch (error) {
    // Waiters on this instance still hear this instance's changes; others fall back to their timeout.
    logger.warn({ err: error }, "order status changes are not shared: Redis subscribe failed");
  }
  return {
    async stop() {
      publisher = undefined;
      subscriber.close();
    },
  };
}
