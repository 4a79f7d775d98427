import { createExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { as, checkout, edge, env, freshIp, receivedByCore, requestId } from "../../../test/helpers";
import { DEAD_URL } from "../../../test/ports";
import type { AppEnv } from "../../env";
import { problemErrors } from "../problem-errors";
import { rateLimit, type WhenRedisDown } from ".";

function limitedApp(whenRedisDown: WhenRedisDown = "open") {
  const { onError } = problemErrors();
  const name = `test-${crypto.randomUUID()}`;
  return new Hono<AppEnv>()
    .onError(onError)
    .use(rateLimit({ name, limit: 3, windowSeconds: 10, by: "ip", whenRedisDown }))
    .get("/", (c) => c.text("ok"));
}

async function hit(app: Hono<AppEnv>, ip: string, overrides: Partial<Env> = {}) {
  return app.fetch(
    new Request("http://edge.test/", { headers: { "cf-connecting-ip": ip } }),
    { ...env, ...overrides },
    createExecutionContext(),
  );
}

const login = (ip: string) =>
  edge("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify({ email: "someone@example.com", password: "guess" }),
  });

describe("rateLimit", () => {
  it("counts a sliding window in Redis and answers 429 with Retry-After and RateLimit headers past the limit", async () => {
    const app = limitedApp();
    const ip = freshIp();
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await hit(app, ip);
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await hit(app, ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(10);
    expect(refused.headers.get("ratelimit-limit")).toBe("3");
    expect(refused.headers.get("ratelimit-policy")).toBe("3;w=10");
  });

  it("keeps separate windows per client", async () => {
    const app = limitedApp();
    const busy = freshIp();
    for (let i = 0; i < 4; i++) await hit(app, busy);
    expect((await hit(app, busy)).status).toBe(429);
    expect((await hit(app, freshIp())).status).toBe(200);
  });

  it("never takes the client's word for its address: X-Real-IP and X-Forwarded-For do not open a new window (issue 11, item 7)", async () => {
    const app = limitedApp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const spoofed = freshIp();
      const response = await app.fetch(
        new Request("http://edge.test/", { headers: { "x-real-ip": spoofed, "x-forwarded-for": spoofed } }),
        env,
        createExecutionContext(),
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it("fails open when Redis is unreachable, if told to", async () => {
    const response = await hit(limitedApp("open"), freshIp(), { UPSTASH_REDIS_REST_URL: DEAD_URL });
    expect(response.status).toBe(200);
  });

  it("fails closed with 503 when Redis is unreachable, if told to", async () => {
    const response = await hit(limitedApp("closed"), freshIp(), { UPSTASH_REDIS_REST_URL: DEAD_URL });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
  });

  it("limits login to 10 tries a minute per IP, and refuses logins while Redis is down", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await login(ip)).status);
    expect(statuses.slice(0, 10).every((status) => status !== 429)).toBe(true);
    expect(statuses[10]).toBe(429);
    const down = await edge(
      "/v1/auth/login",
      {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
        body: JSON.stringify({ email: "someone@example.com", password: "guess" }),
      },
      { UPSTASH_REDIS_REST_URL: DEAD_URL },
    );
    expect(down.status).toBe(503);
  });

  it("keeps catalog reads available while Redis is down", async () => {
    const response = await edge(
      "/v1/catalog/categories?storeId=0190a5c0-0000-7000-8000-000000000009",
      { headers: { "cf-connecting-ip": freshIp() } },
      { UPSTASH_REDIS_REST_URL: DEAD_URL },
    );
    expect(response.status).toBe(200);
  });
});

describe("the windows of one request", () => {
  afterEach(() => vi.restoreAllMocks());

  /** The requests the Worker sent to Redis for rate limits while `work` ran, and the commands in each. */
  async function limiterRequests(work: () => Promise<unknown>): Promise<number[]> {
    const calls: number[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith(env.UPSTASH_REDIS_REST_URL)) {
        const body = await request.clone().text();
        if (body.includes("ratelimit"))
          calls.push(request.url.endsWith("/pipeline") ? JSON.parse(body).length : 1);
      }
      return realFetch(request);
    });
    await work();
    return calls;
  }

  it("counts a checkout against the per-IP, per-user and checkout windows in one request to Redis", async () => {
    const headers = await as({ roles: ["shopper"] });
    let status = 0;
    const calls = await limiterRequests(async () => {
      status = (await checkout(headers)).status;
    });
    expect(status).toBe(201);
    expect(calls).toEqual([3]);
  });

  it("refuses a checkout past the per-IP limit with 429 before it reaches core", async () => {
    const headers = await as({ roles: ["shopper"] });
    const limits = { RATE_LIMIT_IP_PER_MINUTE: "2" };
    expect((await checkout(headers, limits)).status).toBe(201);
    expect((await checkout(headers, limits)).status).toBe(201);
    const id = requestId();
    const refused = await checkout({ ...headers, "x-request-id": id }, limits);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe("2;w=60");
    expect(await receivedByCore(id)).toEqual([]);
  });

  it("still counts the per-IP window of requests auth refuses, and answers 429 past it", async () => {
    const headers = { authorization: "Bearer not.a.token", "cf-connecting-ip": freshIp() };
    const limits = { RATE_LIMIT_IP_PER_MINUTE: "2" };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await checkout(headers, limits)).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it("limits a guest's cart per IP though no user window follows", async () => {
    const ip = freshIp();
    const limits = { RATE_LIMIT_IP_PER_MINUTE: "2" };
    const guestPut = () =>
      edge(
        "/v1/cart/items/MILK-1",
        {
          method: "PUT",
          headers: { "cf-connecting-ip": ip, "x-guest-token": "not-a-guest-token" },
          body: JSON.stringify({ storeId: crypto.randomUUID(), quantity: 1 }),
        },
        limits,
      );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await guestPut()).status);
    expect(statuses[2]).toBe(429);
    expect(statuses.slice(0, 2)).not.toContain(429);
  });
});
