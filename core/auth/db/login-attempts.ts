import type { RedisClient } from "bun";
import type { Config } from "../../shared/config";
import { sha256Hex } from "../domain/secrets";

// Keyed by a hash of the email, so Redis holds no addresses. Unknown emails are counted too: locking
// only real accounts would tell an attacker which emails are registered.
const keysFor = (email: string) => {
  const id = sha256Hex(email.trim().toLowerCase());
  return { failures: `auth:login:failures:${id}`, lock: `auth:login:lock:${id}` };
};

/** Seconds until the email's lock ends, or 0 when it is not locked. */
export async function lockedForSeconds(redis: RedisClient, email: string): Promise<number> {
  const ttl = await redis.ttl(keysFor(email).lock);
  return Math.max(ttl, 0);
}

/**
 * Counts a failed login inside the failure window; the failure that reaches the limit locks the email
 * for LOGIN_LOCK_SECONDS. Returns the failures so far (the caller slows its answer by them).
 */
export async function recordLoginFailure(redis: RedisClient, email: string, config: Config): Promise<number> {
  const keys = keysFor(email);
  const failures = await redis.incr(keys.failures);
  if (failures === 1) await redis.expire(keys.failures, config.LOGIN_FAILURE_WINDOW_SECONDS);
  if (failures >= config.LOGIN_MAX_FAILURES) {
    await redis.set(keys.lock, "1", "EX", config.LOGIN_LOCK_SECONDS);
    await redis.del(keys.failures);
  }
  return failures;
}

/** A successful login forgets earlier failures. */
export async function clearLoginFailures(redis: RedisClient, email: string): Promise<void> {
  await redis.del(keysFor(email).failures);
}
