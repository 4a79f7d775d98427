import { describe, expect, it } from "vitest";
import { as, edge, env, oneWritePerSecond, receivedByCore } from "../../test/helpers";

const checkout = async (headers: Record<string, string>, overrides: Partial<Env> = {}) => {
  const requestId = crypto.randomUUID();
  const response = await edge(
    "/v1/orders",
    {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "x-request-id": requestId,
        "idempotency-key": `checkout-${crypto.randomUUID()}`,
      },
      body: JSON.stringify({
        storeId: crypto.randomUUID(),
        address: { line1: "1 Test Street", lat: 12.97, lng: 77.59 },
        payment: { token: "tok_visa" },
      }),
    },
    overrides,
  );
  return { response, requestId };
};

describe("POST /v1/orders", () => {
  it("waits for the outcome as long as Prefer: wait=N asks, past the usual core deadline, and says so", async () => {
    // The tests' CORE_TIMEOUT_MS is 500 ms; the double honours wait=1 by answering after 1 s.
    const shopper = await as({ roles: ["shopper"] });
    const { response, requestId } = await checkout({ ...shopper, prefer: "wait=1" });
    expect(response.status).toBe(201);
    expect(response.headers.get("preference-applied")).toBe("wait=1");
    const received = (await receivedByCore(requestId)).find(({ path }) => path === "/v1/orders");
    expect(received?.headers.prefer).toBe("wait=1");
  });

  it("never hands a client's baggage to core: only core names the order its spans and logs carry", async () => {
    const shopper = await as({ roles: ["shopper"] });
    const { response, requestId } = await checkout({
      ...shopper,
      baggage: "orderId=0193a000-0000-7000-8000-00000000beef",
    });
    expect(response.status).toBe(201);
    const received = (await receivedByCore(requestId)).find(({ path }) => path === "/v1/orders");
    expect(received?.headers.traceparent).toMatch(/^00-/);
    expect(received?.headers.baggage).toBeUndefined();
  });

  it("answers a checkout placed within a second of a cart change as placed, although KV refuses the cart's bump", async () => {
    const headers = await as({ roles: ["shopper"] });
    const limited = { CACHE: oneWritePerSecond(env.CACHE) };
    const cartWrite = await edge(
      "/v1/cart/items/MILK-1",
      {
        method: "PUT",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ storeId: crypto.randomUUID(), quantity: 1 }),
      },
      limited,
    );
    expect(cartWrite.status).toBe(200);
    const { response } = await checkout(headers, limited);
    expect(response.status).toBeLessThan(300);
  });

  it("keeps the usual deadline when the wait asked for is none", async () => {
    const shopper = await as({ roles: ["shopper"] });
    const { response } = await checkout({ ...shopper, prefer: "respond-async" });
    expect(response.status).toBe(201);
    const { response: waited } = await checkout({ ...shopper, prefer: "wait=0" });
    expect(waited.status).toBe(201);
  });

  it("refuses an oversized Prefer header before core sees it", async () => {
    const shopper = await as({ roles: ["shopper"] });
    const { response, requestId } = await checkout({ ...shopper, prefer: `wait=1, ${"x".repeat(300)}` });
    expect(response.status).toBe(400);
    expect(await receivedByCore(requestId)).toEqual([]);
  });

  it("limits checkouts per shopper to RATE_LIMIT_CHECKOUT_PER_MINUTE", async () => {
    const shopper = await as({ roles: ["shopper"] });
    const limit = { RATE_LIMIT_CHECKOUT_PER_MINUTE: "2" };
    expect((await checkout(shopper, limit)).response.status).toBe(201);
    const second = (await checkout(shopper, limit)).response;
    expect(second.status).toBe(201);
    expect(second.headers.get("ratelimit-limit")).toBe("2");
    expect((await checkout(shopper, limit)).response.status).toBe(429);
    // The default (wrangler.toml) is 5: another shopper gets more than 2.
    const other = await as({ roles: ["shopper"] });
    for (let i = 0; i < 3; i++) expect((await checkout(other)).response.status).toBe(201);
  });
});
