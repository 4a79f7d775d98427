import type { RedisClient } from "bun";
import { redisKey } from "../../shared/cache/namespace";
import type { Config } from "../../shared/config";

/** A rider's positions kept per interval: one a second is enough for a map and an ETA, the rest is noise. */
export const POSITION_INTERVAL_MS = 1_000;

/**
 * Takes the rider's slot for this interval; false when a position was already kept in it. Shared by every
 * stream and every delivery process (Redis), so a rider opening more streams gets no more positions in.
 */
export async function takePositionSlot(
  redis: RedisClient,
  config: Pick<Config, "TOPIC_PREFIX">,
  riderUserId: string,
): Promise<boolean> {
  const key = redisKey(config, "rider-position", riderUserId);
  return (await redis.send("SET", [key, "1", "NX", "PX", String(POSITION_INTERVAL_MS)])) === "OK";
}
