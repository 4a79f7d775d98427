import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Kysely } from "kysely";
import type { Database } from "../../core/auth/db/schema";
import { type Platform, startPlatform } from "../support/platform";

const BURST = 50;
const PASSWORD = "correct horse battery staple";

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
  ms: number;
}

// A burst of sign-ups and sign-ins through the edge in workerd, against the real auth service: the password
// work is bounded, so every answer is a success or a fast 503 with Retry-After, never a timeout.
describe("a burst of registrations and logins through the edge", () => {
  let platform: Platform;
  let users: Kysely<Database>;

  beforeAll(async () => {
    platform = await startPlatform({ only: ["auth"] });
    users = platform.env.db("auth") as Kysely<Database>;
  }, 300_000);
  afterAll(() => platform?.stop());

  // Each client has its own address, as shoppers behind their own connections do.
  const post = async (path: string, body: unknown, client: number): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${platform.edgeUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": `198.51.100.${client}` },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      body: JSON.parse((await response.text()) || "{}") as Record<string, unknown>,
      ms: performance.now() - started,
    };
  };

  it("answers 50 registrations and 50 logins at once with success or 503 + Retry-After, and a retry with the first answer", async () => {
    // Accounts for the logins, made beforehand straight at auth.
    const existing = Array.from({ length: BURST }, () => `burst-login-${crypto.randomUUID()}@example.com`);
    for (let i = 0; i < existing.length; i += 10) {
      await Promise.all(
        existing.slice(i, i + 10).map(async (email) => {
          const response = await platform.services.auth.call("POST", "/v1/auth/register", {
            body: { email, password: PASSWORD, name: "Ada" },
          });
          expect(response.status).toBe(201);
        }),
      );
    }

    const registrations = Array.from({ length: BURST }, (_, i) => ({
      email: `burst-new-${i}-${crypto.randomUUID()}@example.com`,
      password: PASSWORD,
      name: `Shopper ${i}`,
    }));
    const started = performance.now();
    const [registered, loggedIn] = await Promise.all([
      Promise.all(registrations.map((body, i) => post("/v1/auth/register", body, i + 1))),
      Promise.all(existing.map((email, i) => post("/v1/auth/login", { email, password: PASSWORD }, i + 101))),
    ]);
    const burstMs = performance.now() - started;

    const count = (answers: Answer[]) => {
      const statuses: Record<number, number> = {};
      for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      return statuses;
    };
    const slowest = (answers: Answer[]) => Math.round(Math.max(...answers.map((a) => a.ms)));
    console.log(
      `burst of ${BURST}+${BURST} in ${Math.round(burstMs)} ms: register ${JSON.stringify(count(registered))} ` +
        `(slowest ${slowest(registered)} ms), login ${JSON.stringify(count(loggedIn))} (slowest ${slowest(loggedIn)} ms)`,
    );

    const refusals = [...registered, ...loggedIn].filter((a) => a.status >= 500).map((a) => a.body.type);
    console.log(`503 kinds: ${JSON.stringify([...new Set(refusals)])}`);
    for (const answer of [...registered, ...loggedIn]) {
      if (answer.status >= 500) {
        expect(answer.status).toBe(503);
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      }
    }
    expect(registered.every((a) => a.status === 201 || a.status === 503)).toBe(true);
    expect(loggedIn.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    expect(registered.some((a) => a.status === 201)).toBe(true);
    expect(loggedIn.some((a) => a.status === 200)).toBe(true);

    // Every 201 is an account that exists, with the id it answered.
    const answeredIds = registered.filter((a) => a.status === 201).map((a) => a.body.userId as string);
    const rows = await users
      .selectFrom("users")
      .select(["id", "email"])
      .where("id", "in", answeredIds)
      .execute();
    expect(rows).toHaveLength(answeredIds.length);

    // A client retries: a shed registration after Retry-After, a successful one as if the answer was lost.
    // Either way the identical request now answers the one account's id, the same id a 201 answered first.
    for (const [i, body] of registrations.entries()) {
      const first = registered[i] as Answer;
      const again = await post("/v1/auth/register", body, i + 1);
      expect(again, JSON.stringify(again)).toMatchObject({ status: 201 });
      const account = await users
        .selectFrom("users")
        .select("id")
        .where("email", "=", body.email)
        .executeTakeFirstOrThrow();
      expect(again.body.userId).toBe(account.id);
      if (first.status === 201) expect(again.body.userId).toBe(first.body.userId as string);
    }
  }, 180_000);
});
