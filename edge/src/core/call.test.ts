import { verifyRequest } from "@qc/contracts";
import { describe, expect, it } from "vitest";
import { as, edge, env, receivedByCore, requestId } from "../../test/helpers";
import { CORE_DOUBLE_URL, DEAD_URL } from "../../test/ports";
import { callCore } from "./call";

const STORE = "0190a5c0-0000-7000-8000-000000000001";
const SLOW_URL = `${CORE_DOUBLE_URL}/slow`;

function call(overrides: Partial<Env>, path = "/v1/orders") {
  return callCore(
    { ...env, ...overrides },
    {
      service: "order",
      method: "GET",
      path,
      requestId: requestId(),
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    },
  );
}

describe("signed forwarding", () => {
  it("signs what it sends so core's verifyRequest accepts it, identity and body included", async () => {
    const id = requestId();
    const headers = await as({ roles: ["shopper"] });
    const response = await edge(`/v1/cart/items/MILK-1`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json", "x-request-id": id },
      body: JSON.stringify({ storeId: STORE, quantity: 2 }),
    });
    expect(response.status).toBe(200);
    // The first authenticated call of an isolate also fetched the JWKS under the same request id.
    const sent = (await receivedByCore(id)).find((request) => request.method === "PUT");
    if (!sent) throw new Error("core received no PUT");
    const verdict = await verifyRequest({
      secret: env.EDGE_SIGNING_SECRET,
      method: sent.method,
      path: sent.path,
      timestamp: sent.headers["x-edge-timestamp"],
      signature: sent.headers["x-edge-signature"],
      body: sent.body,
      userId: sent.headers["x-user-id"],
      roles: sent.headers["x-user-roles"]?.split(","),
      nonce: sent.headers["x-edge-nonce"],
      clientIp: sent.headers["x-client-ip"],
      now: Date.now(),
    });
    expect(verdict).toEqual({ ok: true });
    expect(sent.headers["x-edge-nonce"]).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.headers["x-client-ip"]).toBe(headers["cf-connecting-ip"]);
    expect(sent.headers["x-user-roles"]).toBe("shopper");
    expect(JSON.parse(sent.body)).toEqual({ storeId: STORE, quantity: 2 });
    const tampered = await verifyRequest({
      secret: env.EDGE_SIGNING_SECRET,
      method: sent.method,
      path: sent.path,
      timestamp: sent.headers["x-edge-timestamp"],
      signature: sent.headers["x-edge-signature"],
      body: sent.body.replace("2", "9"),
      userId: sent.headers["x-user-id"],
      roles: ["shopper"],
      now: Date.now(),
    });
    expect(tampered.ok).toBe(false);
  });

  it("passes the checkout Idempotency-Key through to order", async () => {
    const id = requestId();
    const key = `checkout-${crypto.randomUUID()}`;
    const response = await edge("/v1/orders", {
      method: "POST",
      headers: {
        ...(await as()),
        "content-type": "application/json",
        "x-request-id": id,
        "idempotency-key": key,
      },
      body: JSON.stringify({
        storeId: STORE,
        address: { line1: "1 Main St", lat: 12.97, lng: 77.59 },
        payment: { token: "tok_visa" },
      }),
    });
    expect(response.status).toBe(201);
    const sent = (await receivedByCore(id)).find((request) => request.method === "POST");
    expect(sent?.headers["idempotency-key"]).toBe(key);
    // The key is signed (issue 11, item 9): swapping it on a captured request breaks the signature.
    const signed = {
      secret: env.EDGE_SIGNING_SECRET,
      method: "POST",
      path: sent?.path ?? "",
      timestamp: sent?.headers["x-edge-timestamp"],
      signature: sent?.headers["x-edge-signature"],
      body: sent?.body,
      userId: sent?.headers["x-user-id"],
      roles: sent?.headers["x-user-roles"]?.split(","),
      nonce: sent?.headers["x-edge-nonce"],
      clientIp: sent?.headers["x-client-ip"],
      now: Date.now(),
    };
    expect(await verifyRequest({ ...signed, idempotencyKey: key })).toEqual({ ok: true });
    expect((await verifyRequest({ ...signed, idempotencyKey: `${key}-other` })).ok).toBe(false);
  });

  it("gives every call a nonce of its own", async () => {
    const id = requestId();
    const headers = { ...(await as()), "x-request-id": id };
    await edge("/v1/orders", { headers });
    await edge("/v1/orders", { headers });
    const nonces = (await receivedByCore(id))
      .filter((request) => request.path === "/v1/orders")
      .map((request) => request.headers["x-edge-nonce"]);
    expect(nonces).toHaveLength(2);
    expect(new Set(nonces).size).toBe(2);
  });
});

describe("timeout and circuit breaker", () => {
  it("gives up on a hanging service after the timeout with 504", async () => {
    const startedAt = Date.now();
    const error = await call({ ORDER_URL: SLOW_URL, CORE_TIMEOUT_MS: "200" }).catch((e) => e);
    expect(error.problem.status).toBe(504);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it("answers 503 problem+json when a service is dead, then opens and fails fast without calling it", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call({ ORDER_URL: DEAD_URL }).catch((e) => e)).problem.status);
    expect(statuses).toEqual([503, 503, 503, 503, 503]);
    const open = await call({ ORDER_URL: DEAD_URL }).catch((e) => e);
    expect(open.problem.detail).toBe("The order service is unavailable");
    expect(open.headers["retry-after"]).toBe("10");
  });

  it("never counts a client error or a 500 against the service (issue 11, item 1)", async () => {
    for (const path of ["/bad-input", "/fail"]) {
      const url = `${CORE_DOUBLE_URL}${path}-${crypto.randomUUID()}`;
      for (let i = 0; i < 8; i++)
        expect((await call({ ORDER_URL: url })).status).toBe(path === "/fail" ? 500 : 400);
    }
  });

  it("counts 502-504 answers as failures and opens on them", async () => {
    const failing = `${CORE_DOUBLE_URL}/gateway`;
    for (let i = 0; i < 5; i++) expect((await call({ ORDER_URL: failing })).status).toBe(502);
    const id = requestId();
    const error = await callCore(
      { ...env, ORDER_URL: failing },
      { service: "order", method: "GET", path: "/x", requestId: id, traceparent: "" },
    ).catch((e) => e);
    expect(error.problem.status).toBe(503);
    expect(await receivedByCore(id)).toEqual([]);
  });

  it("relays a 503 with Retry-After (load shed by a live service) without opening the breaker on it", async () => {
    const shedding = `${CORE_DOUBLE_URL}/shed`;
    for (let i = 0; i < 7; i++) {
      const response = await call({ ORDER_URL: shedding });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
    }
  });

  it("gives auth the time its password work needs, whatever the default deadline", async () => {
    const response = await callCore(
      { ...env, AUTH_URL: SLOW_URL, CORE_TIMEOUT_MS: "200" },
      { service: "auth", method: "POST", path: "/login", requestId: requestId(), traceparent: "" },
    );
    expect(response.status).toBe(200);
  });

  it("turns a dead core into a fast 503 problem+json at the public API", async () => {
    const response = await edge(
      `/v1/orders`,
      { headers: await as() },
      { ORDER_URL: "http://127.0.0.1:28498" },
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
