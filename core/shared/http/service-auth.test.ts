import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { deriveServiceKey } from "@qc/contracts";
import { Elysia } from "elysia";
import { loadConfig } from "../config";
import { serviceUrl } from "../runtime/context";
import type { ServiceDefinition } from "../runtime/service";
import { type TestEnvironment, type TestService, testEnvironment } from "../testing/service";
import { serviceKey } from "./service-auth";

const migrations = `${import.meta.dir}/../../catalog/db/migrations`;

// "pricing" answers an internal route and says who called; "cart" calls it with a plain fetch, as clients do.
const callee: ServiceDefinition = {
  name: "pricing",
  migrations,
  app: () =>
    // `caller` is what service-auth derived for this /internal request (startService mounts it globally).
    new Elysia()
      .post("/internal/v1/echo", (context) => ({
        caller: (context as unknown as { caller: string | null }).caller,
        body: context.body,
      }))
      .get("/internal/v1/echo", (context) => ({
        caller: (context as unknown as { caller: string | null }).caller,
        body: null,
      })),
};
const caller: ServiceDefinition = {
  name: "cart",
  migrations,
  app: (ctx) =>
    new Elysia()
      .get("/v1/relay", async () => {
        const response = await fetch(`${serviceUrl(ctx.config, "pricing")}/internal/v1/echo`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ hello: "pricing" }),
        });
        return { status: response.status, answer: await response.json() };
      })
      // A GET without a body, the way order reads a cart.
      .get("/v1/relay-get", async () => {
        const response = await fetch(`${serviceUrl(ctx.config, "pricing")}/internal/v1/echo`, {
          method: "GET",
        });
        return { status: response.status, answer: await response.json() };
      }),
};

describe("service-to-service authentication (issue 11, item 4)", () => {
  let env: TestEnvironment;
  let pricing: TestService;
  let cart: TestService;
  beforeAll(async () => {
    env = await testEnvironment();
    pricing = await env.start(callee);
    cart = await env.start(caller);
  });
  afterAll(() => env.stop());

  it("signs a service's plain fetch to another's /internal route as that service", async () => {
    const relayed = (await (await cart.call("GET", "/v1/relay")).json()) as {
      status: number;
      answer: { caller: string; body: unknown };
    };
    expect(relayed).toEqual({ status: 200, answer: { caller: "cart", body: { hello: "pricing" } } });
  });

  it("signs a call without a body too (a GET)", async () => {
    const relayed = await (await cart.call("GET", "/v1/relay-get")).json();
    expect(relayed).toEqual({ status: 200, answer: { caller: "cart", body: null } });
  });

  it("refuses an unsigned caller, and one that signed with another pair's key", async () => {
    const unsigned = await fetch(`${pricing.url}/internal/v1/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unsigned.status).toBe(401);
    // cart's key towards inventory does not open pricing.
    const wrongPair = await deriveServiceKey(env.config.SERVICE_AUTH_SECRET, "cart", "inventory");
    expect(wrongPair).not.toBe(await serviceKey(env.config, "cart", "pricing"));
  });

  it("with SERVICE_KEYS, knows only the listed pairs", async () => {
    const config = loadConfig({ SERVICE_KEYS: JSON.stringify({ "order>cart": "k".repeat(40) }) });
    expect(await serviceKey(config, "order", "cart")).toBe("k".repeat(40));
    // An unlisted pair gets a key nobody else holds, so its calls never verify.
    expect(await serviceKey(config, "pricing", "cart")).not.toBe(
      await deriveServiceKey(config.SERVICE_AUTH_SECRET, "pricing", "cart"),
    );
  });
});
