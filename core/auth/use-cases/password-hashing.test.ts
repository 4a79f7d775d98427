import { describe, expect, it } from "bun:test";
import { ARGON2ID, createPasswordHasher, PasswordWorkShed } from "./password-hashing";

describe("password hashing", () => {
  it("hashes with OWASP's argon2id parameters (19 MiB, t=2, p=1)", async () => {
    const hash = await createPasswordHasher().hash("correct-horse-1");
    expect(hash).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");
    expect(ARGON2ID.memoryCost as number).toBe(19 * 1024);
  });

  it("still verifies hashes made with Bun's defaults (accounts created before the change)", async () => {
    const old = await Bun.password.hash("correct-horse-1", { algorithm: "argon2id" });
    const hasher = createPasswordHasher();
    expect(await hasher.verify("correct-horse-1", old)).toBe(true);
    expect(await hasher.verify("wrong", old)).toBe(false);
  });

  it("queues a burst only as deep as the wait budget allows and refuses the rest at once with a retry hint", async () => {
    const hasher = createPasswordHasher({ concurrency: 2, maxWaitMs: 400, initialCostMs: 100 });
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        hasher.hash(`password-${i}`).then(
          () => ({ ok: true, ms: performance.now() - started }),
          (error: unknown) => ({ ok: false, ms: performance.now() - started, error }),
        ),
      ),
    );
    const shed = outcomes.filter((outcome) => !outcome.ok);
    // 2 running + 8 waiting (400 ms budget at 100 ms per hash, 2 at a time); the other 10 are refused.
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(10);
    expect(shed).toHaveLength(10);
    for (const outcome of shed) {
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(PasswordWorkShed);
      expect((error as PasswordWorkShed).status).toBe(503);
      expect((error as PasswordWorkShed).headers?.["retry-after"]).toBe("1");
      expect(outcome.ms).toBeLessThan(50);
    }
    expect(hasher.stats).toMatchObject({ running: 0, queued: 0 });
  });

  it("drops a waiting request whose client went away, without hashing it", async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaitMs: 10_000 });
    const first = hasher.hash("a");
    const gone = new AbortController();
    const second = hasher.hash("b", gone.signal);
    expect(hasher.stats.queued).toBe(1);
    gone.abort();
    await expect(second).rejects.toBeDefined();
    expect(hasher.stats.queued).toBe(0);
    await first;
    expect(hasher.stats.running).toBe(0);
  });
});
