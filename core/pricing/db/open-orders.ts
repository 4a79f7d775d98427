import type { RedisClient } from "bun";
import { redisKey } from "../../shared/cache/namespace";
import type { Config } from "../../shared/config";

/**
 * Each store's open orders as a Redis set of order ids: adding and removing an id are idempotent, so a
 * redelivered order event cannot skew the count the way INCR/DECR would.
 */
export function openOrders(redis: RedisClient, config: Config) {
  const key = (storeId: string) => redisKey(config, "pricing", "open-orders", storeId);
  return {
    opened: (storeId: string, orderId: string) => redis.sadd(key(storeId), orderId),
    closed: (storeId: string, orderId: string) => redis.srem(key(storeId), orderId),
    count: (storeId: string) => redis.scard(key(storeId)),
  };
}

export type OpenOrders = ReturnType<typeof openOrders>;
