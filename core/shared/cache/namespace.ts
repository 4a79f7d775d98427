import type { Config } from "../config";

/**
 * A Redis key under this deployment's namespace. Test runs share one Redis the way they share one Kafka
 * broker, so the key carries the same TOPIC_PREFIX that isolates their topics (empty in production).
 */
export const redisKey = (config: Pick<Config, "TOPIC_PREFIX">, ...parts: string[]): string =>
  [config.TOPIC_PREFIX, ...parts].filter(Boolean).join(":");
