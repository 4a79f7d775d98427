import { RedisClient } from "bun";

/** Bun's built-in Redis client: it reconnects on its own and pipelines commands automatically. */
export function createRedis(url: string): RedisClient {
  return new RedisClient(url, { connectionTimeout: 2_000, autoReconnect: true, enableOfflineQueue: false });
}
