import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Elysia } from "elysia";
import { identityFrom } from "../http/edge-identity";
import type { ServiceDefinition } from "../runtime/service";
import { type TestEnvironment, type TestService, testEnvironment } from "./service";

// A service of the real shape, answering who the edge said the caller is.
const probe: ServiceDefinition = {
  name: "auth",
  migrations: `${import.meta.dir}/../../auth/db/migrations`,
  app: (ctx) =>
    new Elysia()
      .use(identityFrom(ctx.config))
      .get("/v1/whoami", ({ identity }) => ({ identity }))
      .post("/v1/echo", ({ body }) => body),
};

describe("a service behind the edge signature", () => {
  let env: TestEnvironment;
  let service: TestService;
  beforeAll(async () => {
    env = await testEnvironment();
    service = await env.start(probe);
  });
  afterAll(() => env.stop());

  it("answers live and ready while Postgres, Redis and Kafka answer", async () => {
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      checks: { postgres: "up", redis: "up", kafka: "up" },
    });
  });

  it("trusts the identity of a signed request", async () => {
    const response = await service.call("GET", "/v1/whoami", { user: { userId: "u-1", roles: ["shopper"] } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ identity: { userId: "u-1", roles: ["shopper"], storeIds: [] } });
  });

  it("refuses an unsigned request as problem+json", async () => {
    const response = await fetch(`${service.url}/v1/whoami`, { headers: { "x-user-id": "intruder" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });

  it("refuses a signature older than the allowed skew", async () => {
    const response = await service.call("GET", "/v1/whoami", { timestamp: Date.now() - 5 * 60_000 });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { title: string }).title).toContain("stale");
  });

  it("refuses a body changed after signing", async () => {
    const request = await (await import("./signed-request")).signedRequest("POST", "/v1/echo", {
      body: { a: 1 },
      baseUrl: service.url,
    });
    expect((await service.call("POST", "/v1/echo", { body: { a: 1 } })).status).toBe(200);
    const tampered = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: JSON.stringify({ a: 2 }),
    });
    expect(tampered.status).toBe(401);
  });
});
