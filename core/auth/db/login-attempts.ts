import type { RedisClient } from "bun";
import type { Config } from "../../shared/config";
import { sha256Hex } from "../domain/secrets";

/**
 * Failed sign-ins are counted per email *and client* (the address the edge vouches for): a client that
 * keeps guessing is slowed, then locked out of that email, while the owner signing in from elsewhere is
 * not. Keyed by hashes, so Redis holds no addresses; unknown emails count the same, so a lock tells nothing.
 */
const keysFor = (email: string, client: string) => {
  const id = `${sha256Hex(email.trim().toLowerCase())}:${sha256Hex(client)}`;
  return { failures: `auth:login:failures:${id}`, lock: `auth:login:lock:${id}` };
};

/** Seconds until this client's lock on the email ends, or 0 when it is not locked. */
export async function lockedForSeconds(redis: RedisClient, email: string, client: string): Promise<number> {
  const ttl = await redis.ttl(keysFor(email, client).lock);
  return Math.max(ttl, 0);
}

/** The pause before answering the n-th failure in a row: doubling from LOGIN_FAILURE_DELAY_MS, capped. */
export const failureDelayMs = (failures: number, config: Config): number =>
  Math.min(config.LOGIN_FAILURE_DELAY_MS * 2 ** Math.max(0, failures - 1), config.LOGIN_MAX_DELAY_MS);

/**
 * Counts a failed login of this client inside the failure window; the failure that reaches the limit locks
 * the email for this client for LOGIN_LOCK_SECONDS. Returns the failures so far (the caller slows its answer).
 */
export async function recordLoginFailure(
  redis: RedisClient,
  email: string,
  client: string,
  config: Config,
): Promise<number> {
  const keys = keysFor(email, client);
  const failures = await redis.incr(keys.failures);
  if (failures === 1) await redis.expire(keys.failures, config.LOGIN_FAILURE_WINDOW_SECONDS);
  if (failures >= config.LOGIN_MAX_FAILURES) {
    await redis.set(keys.lock, "1", "EX", config.LOGIN_LOCK_SECONDS);
    await redis.del(keys.failures);
  }
  return failures;
}

/** A successful login forgets this client's earlier failures. */
export async function clearLoginFailures(redis: RedisClient, email: string, client: string): Promise<void> {
  await redis.del(keysFor(email, client).failures);
}
