import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { TokenPair } from "@qc/contracts";
import { createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet, jwtVerify } from "jose";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import { deleteExpiredRefreshTokens } from "./db/refresh-token-repository";
import type { Database } from "./db/schema";
import { authService } from "./main";

const GRACE_SECONDS = 2;
const LOCK_SECONDS = 2;
// argon2id is deliberately slow; flows with several logins need more than the default 5 s.
const SLOW_FLOW_MS = 20_000;
const admin = { userId: crypto.randomUUID(), roles: ["admin" as const] };
const shopper = { userId: crypto.randomUUID(), roles: ["shopper" as const] };

describe("auth", () => {
  let env: TestEnvironment;
  let auth: TestService;

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_auth",
      env: {
        SIGNING_KEY_GRACE_SECONDS: String(GRACE_SECONDS),
        LOGIN_LOCK_SECONDS: String(LOCK_SECONDS),
        // Large enough that the doubling stands out of a password hash's jitter (~50 ms on a busy machine).
        LOGIN_FAILURE_DELAY_MS: "40",
      },
    });
    auth = await env.start(authService);
  });
  afterAll(() => env.stop());

  const newEmail = () => `u-${crypto.randomUUID()}@example.com`;
  const register = async (email = newEmail(), password = "correct-horse-1") => {
    const response = await auth.call("POST", "/v1/auth/register", {
      body: { email, password, name: "Asha" },
    });
    expect(response.status).toBe(201);
    return { email, password, userId: ((await response.json()) as { userId: string }).userId };
  };
  const login = (email: string, password: string, clientIp = "203.0.113.10") =>
    auth.call("POST", "/v1/auth/login", { body: { email, password }, clientIp });
  const tokensFor = async (email: string, password: string) => {
    const response = await login(email, password);
    expect(response.status).toBe(200);
    return (await response.json()) as TokenPair;
  };
  const refresh = (refreshToken: string) => auth.call("POST", "/v1/auth/refresh", { body: { refreshToken } });
  const currentJwks = async () =>
    (await (await auth.call("GET", "/v1/auth/.well-known/jwks.json")).json()) as JSONWebKeySet;
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await currentJwks()), {
      issuer: "quickcommerce-auth",
      audience: "quickcommerce",
      algorithms: ["ES256"],
    });

  describe("registration", () => {
    it("answers a taken email exactly like a new one and keeps one account", async () => {
      const first = await register();
      const again = await auth.call("POST", "/v1/auth/register", {
        body: { email: first.email.toUpperCase(), password: "another-pass-2", name: "Mallory" },
      });
      expect(again.status).toBe(201);
      const body = (await again.json()) as { userId: string };
      expect(Object.keys(body)).toEqual(["userId"]);
      expect(body.userId).not.toBe(first.userId);
      const rows = await env
        .db("auth")
        .selectFrom("users")
        .select("id")
        .where("id", "in", [first.userId, body.userId])
        .execute();
      expect(rows.map((row) => row.id)).toEqual([first.userId]);
      // The original password still works; the duplicate's does not.
      expect((await login(first.email, "correct-horse-1")).status).toBe(200);
      expect((await login(first.email, "another-pass-2")).status).toBe(401);
    });

    it("answers an identical retry with the first answer, for a new account and for a taken email alike", async () => {
      const first = await register();
      const retried = await register(first.email, first.password);
      expect(retried.userId).toBe(first.userId);

      // Someone else's attempt on the taken email: a decoy id, the same one when they retry it too.
      const attempt = { email: first.email, password: "another-pass-2", name: "Mallory" };
      const decoys = await Promise.all(
        [attempt, attempt].map(async (body) => {
          const response = await auth.call("POST", "/v1/auth/register", { body });
          expect(response.status).toBe(201);
          return ((await response.json()) as { userId: string }).userId;
        }),
      );
      expect(decoys[0]).toBe(decoys[1] as string);
      expect(decoys[0]).not.toBe(first.userId);
      const accounts = await env
        .db("auth")
        .selectFrom("users")
        .select("id")
        .where("email", "=", first.email)
        .execute();
      expect(accounts.map((row) => row.id)).toEqual([first.userId]);
    });

    it("creates one account when identical registrations race", async () => {
      const email = newEmail();
      const answers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await auth.call("POST", "/v1/auth/register", {
            body: { email, password: "correct-horse-1", name: "Asha" },
          });
          expect(response.status).toBe(201);
          return ((await response.json()) as { userId: string }).userId;
        }),
      );
      const accounts = await env
        .db("auth")
        .selectFrom("users")
        .select("id")
        .where("email", "=", email)
        .execute();
      expect(accounts).toHaveLength(1);
      expect(new Set(answers)).toEqual(new Set([accounts[0]?.id as string]));
    });

    it("publishes UserRegistered through the outbox, with the shopper role", async () => {
      const { userId } = await register();
      const row = await env
        .db("auth")
        .selectFrom("outbox")
        .select(["type", "payload"])
        .where("key", "=", userId)
        .executeTakeFirstOrThrow();
      expect(row.type).toBe("UserRegistered");
      expect((row.payload as { data: { roles: string[] } }).data.roles).toEqual(["shopper"]);
    });

    it("stores the password as argon2id, never in clear", async () => {
      const { userId } = await register();
      const row = await env
        .db("auth")
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", userId)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toStartWith("$argon2id$");
    });

    it("refuses a short password as problem+json naming the field", async () => {
      const response = await auth.call("POST", "/v1/auth/register", {
        body: { email: newEmail(), password: "short", name: "A" },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await response.json()) as { errors: { path: string }[] };
      expect(problem.errors.map((error) => error.path)).toContain("password");
    });
  });

  describe("access tokens", () => {
    it("signs ES256 tokens with a kid that the JWKS publishes, carrying sub, roles, iss, aud and exp", async () => {
      const { email, password, userId } = await register();
      const tokens = await tokensFor(email, password);
      expect(tokens.expiresIn).toBe(900);
      const { payload, protectedHeader } = await verify(tokens.accessToken);
      expect(protectedHeader.alg).toBe("ES256");
      expect(protectedHeader.kid).toBeString();
      expect(payload).toMatchObject({
        sub: userId,
        roles: ["shopper"],
        iss: "quickcommerce-auth",
        aud: "quickcommerce",
      });
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    });

    it("never publishes private key material", async () => {
      for (const key of (await currentJwks()).keys) expect(key.d).toBeUndefined();
    });

    it("lets the bootstrap admin log in with admin rights", async () => {
      const tokens = await tokensFor("admin@quickcommerce.local", "admin-password-123");
      expect((await verify(tokens.accessToken)).payload.roles).toEqual(["admin"]);
    });

    it(
      "keeps old tokens valid through the grace period of a rotation and refuses them after it",
      async () => {
        const { email, password } = await register();
        const before = await tokensFor(email, password);
        const oldKid = decodeProtectedHeader(before.accessToken).kid;

        const rotated = await auth.call("POST", "/v1/admin/auth/keys/rotate", { user: admin });
        expect(rotated.status).toBe(201);
        const { kid: newKid } = (await rotated.json()) as { kid: string };
        expect(newKid).not.toBe(oldKid);

        const after = await tokensFor(email, password);
        expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
        // Nobody is logged out: the old token still verifies during the grace period.
        expect((await verify(before.accessToken)).payload.sub).toBeString();
        expect((await currentJwks()).keys.map((key) => key.kid)).toEqual([newKid, oldKid]);

        await Bun.sleep(GRACE_SECONDS * 1000 + 500);
        expect((await currentJwks()).keys.map((key) => key.kid)).not.toContain(oldKid);
        await expect(verify(before.accessToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
        expect((await verify(after.accessToken)).payload.sub).toBeString();

        const event = await env
          .db("auth")
          .selectFrom("outbox")
          .select("type")
          .where("key", "=", newKid)
          .executeTakeFirst();
        expect(event?.type).toBe("SigningKeyRotated");
      },
      SLOW_FLOW_MS,
    );

    it("survives concurrent rotations with exactly one current key", async () => {
      const answers = await Promise.all(
        [1, 2, 3].map(() => auth.call("POST", "/v1/admin/auth/keys/rotate", { user: admin })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
      const current = await env
        .db<Database>("auth")
        .selectFrom("signing_keys")
        .select("kid")
        .where("retired_at", "is", null)
        .execute();
      expect(current).toHaveLength(1);
    });

    it("lets only admins rotate keys", async () => {
      expect((await auth.call("POST", "/v1/admin/auth/keys/rotate", { user: shopper })).status).toBe(403);
      expect((await auth.call("POST", "/v1/admin/auth/keys/rotate")).status).toBe(401);
    });
  });

  describe("refresh tokens", () => {
    it("rotates on every use: the new token works, the old one is spent", async () => {
      const { email, password } = await register();
      const first = await tokensFor(email, password);
      const second = await refresh(first.refreshToken);
      expect(second.status).toBe(200);
      const pair = (await second.json()) as TokenPair;
      expect(pair.refreshToken).not.toBe(first.refreshToken);
      expect((await verify(pair.accessToken)).payload.roles).toEqual(["shopper"]);
      expect((await refresh(pair.refreshToken)).status).toBe(200);
    });

    it("revokes the whole family when a rotated token is reused", async () => {
      const { email, password } = await register();
      const first = await tokensFor(email, password);
      const second = (await (await refresh(first.refreshToken)).json()) as TokenPair;

      const replay = await refresh(first.refreshToken);
      expect(replay.status).toBe(401);
      // The legitimate holder's newer token died with the family.
      expect((await refresh(second.refreshToken)).status).toBe(401);
      // Other sessions of the same user are separate families and keep working.
      const otherSession = await tokensFor(email, password);
      expect((await refresh(otherSession.refreshToken)).status).toBe(200);
    });

    it("stores refresh tokens only as sha256 hashes", async () => {
      const { email, password, userId } = await register();
      const { refreshToken } = await tokensFor(email, password);
      const rows = await env
        .db("auth")
        .selectFrom("refresh_tokens")
        .select("token_hash")
        .where("user_id", "=", userId)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash).toBe(new Bun.CryptoHasher("sha256").update(refreshToken).digest("hex"));
    });

    it("forgets tokens a day after they expired, and only those", async () => {
      const { email, password, userId } = await register();
      await tokensFor(email, password);
      await tokensFor(email, password);
      const db = env.db<Database>("auth");
      const old = await db
        .selectFrom("refresh_tokens")
        .select("id")
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow();
      await db
        .updateTable("refresh_tokens")
        .set({ expires_at: new Date(Date.now() - 2 * 24 * 3_600_000) })
        .where("id", "=", old.id)
        .execute();
      expect(
        await deleteExpiredRefreshTokens(db, new Date(Date.now() - 24 * 3_600_000)),
      ).toBeGreaterThanOrEqual(1);
      const left = await db.selectFrom("refresh_tokens").select("id").where("user_id", "=", userId).execute();
      expect(left).toHaveLength(1);
    });

    it("refuses a refresh token after logout", async () => {
      const { email, password } = await register();
      const { refreshToken } = await tokensFor(email, password);
      expect((await auth.call("POST", "/v1/auth/logout", { body: { refreshToken } })).status).toBe(204);
      expect((await refresh(refreshToken)).status).toBe(401);
    });

    it("names a store member's stores in the token (issue 11, item 5)", async () => {
      const { email, password, userId } = await register();
      const storeId = crypto.randomUUID();
      const { refreshToken } = await tokensFor(email, password);
      const granted = await auth.call("PUT", `/v1/admin/users/${userId}/roles`, {
        body: { roles: ["store_staff"], storeIds: [storeId] },
        user: admin,
      });
      expect(await granted.json()).toEqual({ userId, roles: ["store_staff"], storeIds: [storeId] });
      const pair = (await (await refresh(refreshToken)).json()) as TokenPair;
      const { payload } = await verify(pair.accessToken);
      expect(payload.roles).toEqual(["store_staff"]);
      expect(payload.storeIds).toEqual([storeId]);
    });

    it("carries roles granted by an admin from the next refresh", async () => {
      const { email, password, userId } = await register();
      const { refreshToken } = await tokensFor(email, password);
      expect(
        (
          await auth.call("PUT", `/v1/admin/users/${userId}/roles`, {
            body: { roles: ["shopper", "rider"] },
            user: shopper,
          })
        ).status,
      ).toBe(403);
      const granted = await auth.call("PUT", `/v1/admin/users/${userId}/roles`, {
        body: { roles: ["shopper", "rider"] },
        user: admin,
      });
      expect(await granted.json()).toEqual({ userId, roles: ["shopper", "rider"], storeIds: [] });
      const pair = (await (await refresh(refreshToken)).json()) as TokenPair;
      expect((await verify(pair.accessToken)).payload.roles).toEqual(["shopper", "rider"]);
    });
  });

  describe("failed logins", () => {
    it("answers an unknown email and a wrong password alike", async () => {
      const { email } = await register();
      const unknown = await login(newEmail(), "whatever-123");
      const wrong = await login(email, "whatever-123");
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(await unknown.json()).toEqual(await wrong.json());
    });

    it(
      "locks the email after 5 failures, even for the right password, and unlocks when the lock ends",
      async () => {
        const { email, password } = await register();
        for (let attempt = 0; attempt < 5; attempt++)
          expect((await login(email, "wrong-password")).status).toBe(401);
        const refused = await login(email, password);
        expect(refused.status).toBe(429);
        expect(refused.headers.get("content-type")).toContain("application/problem+json");
        expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

        await Bun.sleep(LOCK_SECONDS * 1000 + 200);
        expect((await login(email, password)).status).toBe(200);
      },
      SLOW_FLOW_MS,
    );

    it(
      "locks out only the guessing client: the owner signs in from elsewhere (issue 11, item 6)",
      async () => {
        const { email, password } = await register();
        for (let attempt = 0; attempt < 5; attempt++)
          expect((await login(email, "wrong-password", "198.51.100.66")).status).toBe(401);
        expect((await login(email, password, "198.51.100.66")).status).toBe(429);
        expect((await login(email, password, "203.0.113.77")).status).toBe(200);
      },
      SLOW_FLOW_MS,
    );

    it(
      "slows each further failure of one client down, doubling",
      async () => {
        const { email } = await register();
        const timed = async () => {
          const started = performance.now();
          expect((await login(email, "wrong-password", "192.0.2.5")).status).toBe(401);
          return performance.now() - started;
        };
        const first = await timed();
        await timed();
        await timed();
        const fourth = await timed();
        // LOGIN_FAILURE_DELAY_MS is 40 here: 40, 80, 160, 320 ms, so the fourth waits 280 ms longer.
        expect(fourth - first).toBeGreaterThan(180);
      },
      SLOW_FLOW_MS,
    );

    it(
      "forgets earlier failures after a successful login",
      async () => {
        const { email, password } = await register();
        for (let attempt = 0; attempt < 4; attempt++) await login(email, "wrong-password");
        expect((await login(email, password)).status).toBe(200);
        for (let attempt = 0; attempt < 4; attempt++) await login(email, "wrong-password");
        expect((await login(email, password)).status).toBe(200);
      },
      SLOW_FLOW_MS,
    );
  });

  describe("partner API keys", () => {
    const createKey = async (scopes: string[]) => {
      const response = await auth.call("POST", "/v1/admin/api-keys", {
        body: { name: "Acme", scopes },
        user: admin,
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { keyId: string; key: string; prefix: string };
    };
    const verifyKey = (key: string, scope: string) =>
      auth.call("POST", "/internal/v1/api-keys/verify", { body: { key, scope }, caller: "edge" });

    it("answers only a signed service on /internal (issue 11, item 4)", async () => {
      const { key } = await createKey(["catalog:read"]);
      const unsigned = await fetch(`${auth.url}/internal/v1/api-keys/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key, scope: "catalog:read" }),
      });
      expect(unsigned.status).toBe(401);
      const forged = await fetch(`${auth.url}/internal/v1/api-keys/verify`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-service-name": "order",
          "x-service-timestamp": String(Date.now()),
          "x-service-signature": "00".repeat(32),
        },
        body: JSON.stringify({ key, scope: "catalog:read" }),
      });
      expect(forged.status).toBe(401);
      expect((await verifyKey(key, "catalog:read")).status).toBe(200);
    });

    it("accepts a key for a scope it holds and answers 403 for one it lacks", async () => {
      const { key, keyId } = await createKey(["catalog:read"]);
      const ok = await verifyKey(key, "catalog:read");
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ keyId, scopes: ["catalog:read"] });
      const missing = await verifyKey(key, "orders:write");
      expect(missing.status).toBe(403);
      expect(missing.headers.get("content-type")).toContain("application/problem+json");
    });

    it("answers 401 for an unknown, tampered or revoked key", async () => {
      const { key, keyId } = await createKey(["catalog:read"]);
      expect((await verifyKey("qck_nothing", "catalog:read")).status).toBe(401);
      expect(
        (await verifyKey(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`, "catalog:read")).status,
      ).toBe(401);
      expect((await auth.call("DELETE", `/v1/admin/api-keys/${keyId}`, { user: admin })).status).toBe(204);
      expect((await verifyKey(key, "catalog:read")).status).toBe(401);
    });

    it("lists keys without their secrets and only to admins", async () => {
      const { key, keyId } = await createKey(["stock:write"]);
      expect((await auth.call("GET", "/v1/admin/api-keys", { user: shopper })).status).toBe(403);
      const listed = await auth.call("GET", "/v1/admin/api-keys", { user: admin });
      const text = await listed.text();
      expect(text).toContain(keyId);
      expect(text).not.toContain(key);
      const stored = await env
        .db("auth")
        .selectFrom("api_keys")
        .select("secret_hash")
        .where("id", "=", keyId)
        .executeTakeFirstOrThrow();
      expect(key).not.toContain(stored.secret_hash);
    });
  });
});
