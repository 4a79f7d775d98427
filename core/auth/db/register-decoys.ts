import type { RedisClient } from "bun";

/** How long a retried registration of a taken email gets the same decoy id (clients retry within minutes). */
const DECOY_TTL_SECONDS = 24 * 60 * 60;

/**
 * The id a registration of a taken email answers with: fresh the first time, the same for an identical
 * retry (same email, password and name). A new account answers a retry with its own id, so a taken email
 * must too, or two identical attempts would tell whether the address is registered. The key is an HMAC
 * under a server secret, so Redis holds neither the address nor anything to guess the password from.
 */
export async function decoyUserId(
  redis: RedisClient,
  secret: string,
  attempt: { email: string; password: string; name: string },
): Promise<string> {
  const digest = new Bun.CryptoHasher("sha256", `register-decoy:${secret}`)
    .update(JSON.stringify([attempt.email.trim().toLowerCase(), attempt.password, attempt.name]))
    .digest("hex");
  const key = `auth:register:decoy:${digest}`;
  const fresh = Bun.randomUUIDv7();
  try {
    const stored = await redis.send("SET", [key, fresh, "NX", "GET", "EX", String(DECOY_TTL_SECONDS)]);
    return typeof stored === "string" ? stored : fresh;
  } catch {
    // Without Redis the answer is still a 201 with an id that belongs to nobody, only not repeatable.
    return fresh;
  }
}
