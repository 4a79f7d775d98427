import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Elysia } from "elysia";
import type { ServiceDefinition } from "../runtime/service";
import { type TestEnvironment, type TestService, testEnvironment } from "../testing/service";
import { signedRequest } from "../testing/signed-request";
import { identityFrom, requireUser } from "./edge-identity";

// A bare service: one state-changing route and one read behind the edge signature.
const probe: ServiceDefinition = {
  name: "catalog",
  migrations: `${import.meta.dir}/../../catalog/db/migrations`,
  app: (ctx) =>
    new Elysia()
      .use(identityFrom(ctx.config))
      .post("/v1/things", ({ identity, request }) => ({
        userId: requireUser(identity).userId,
        idempotencyKey: request.headers.get("idempotency-key"),
      }))
      .get("/v1/things", () => ({ ok: true })),
};

const user = { userId: crypto.randomUUID(), roles: ["shopper" as const] };

describe("edge signature (issue 11, item 9)", () => {
  let env: TestEnvironment;
  let service: TestService;
  beforeAll(async () => {
    env = await testEnvironment();
    service = await env.start(probe);
  });
  afterAll(() => env.stop());

  const signed = (method: string, headers: Record<string, string> = {}) =>
    signedRequest(method, "/v1/things", {
      body: method === "POST" ? { name: "x" } : undefined,
      user,
      headers,
      baseUrl: service.url,
      secret: env.config.EDGE_SIGNING_SECRET,
    });

  it("refuses a captured state-changing request sent again inside the window", async () => {
    const request = await signed("POST", { "Idempotency-Key": "key-00000001" });
    const replay = request.clone() as Request;
    expect((await fetch(request)).status).toBe(200);
    const refused = await fetch(replay);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { title: string }).title).toContain("replayed");
  });

  it("refuses a request whose Idempotency-Key was swapped after signing", async () => {
    const request = await signed("POST", { "Idempotency-Key": "key-00000001" });
    const headers = new Headers(request.headers);
    headers.set("idempotency-key", "key-00000002");
    const swapped = new Request(request.url, { method: "POST", headers, body: await request.text() });
    expect((await fetch(swapped)).status).toBe(401);
  });

  it("refuses a request without a nonce", async () => {
    const request = await signed("POST");
    const headers = new Headers(request.headers);
    headers.delete("x-edge-nonce");
    const bare = new Request(request.url, { method: "POST", headers, body: await request.text() });
    expect((await fetch(bare)).status).toBe(401);
  });

  it("lets a read be repeated (nothing changes; no Redis round trip per read)", async () => {
    const request = await signed("GET");
    const again = request.clone() as Request;
    expect((await fetch(request)).status).toBe(200);
    expect((await fetch(again)).status).toBe(200);
  });
});
