import { describe, expect, it } from "vitest";
import { as, edge, env, freshIp, oneWritePerSecond, receivedByCore, requestId } from "../../test/helpers";

describe("/v1/cart", () => {
  it("caches the shopper's cart and retires it when the shopper changes it", async () => {
    const store = crypto.randomUUID();
    const headers = await as({ roles: ["shopper"] });
    const read = () => edge(`/v1/cart?storeId=${store}`, { headers });
    expect((await read()).headers.get("x-cache")).toBe("MISS");
    expect((await read()).headers.get("x-cache")).toBe("HIT");
    const write = await edge("/v1/cart/items/MILK-1", {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ storeId: store, quantity: 1 }),
    });
    expect(write.status).toBe(200);
    expect((await read()).headers.get("x-cache")).toBe("MISS");
  });

  it("answers a quick second cart write with core's answer although KV refuses the second cache bump", async () => {
    const store = crypto.randomUUID();
    const headers = { ...(await as({ roles: ["shopper"] })), "content-type": "application/json" };
    const limited = { CACHE: oneWritePerSecond(env.CACHE) };
    const put = (quantity: number) =>
      edge(
        "/v1/cart/items/MILK-1",
        { method: "PUT", headers, body: JSON.stringify({ storeId: store, quantity }) },
        limited,
      );
    // Core applied both (a shopper tapping + twice): neither may be answered as a failure.
    expect((await put(1)).status).toBe(200);
    expect((await put(2)).status).toBe(200);
  });

  it("never serves one shopper's cached cart to another", async () => {
    const store = crypto.randomUUID();
    await edge(`/v1/cart?storeId=${store}`, { headers: await as() });
    const other = await edge(`/v1/cart?storeId=${store}`, { headers: await as() });
    expect(other.headers.get("x-cache")).toBe("MISS");
  });

  it("serves a guest's cart by the token cart issued, never cached, and refuses a cart without either (issue 11, item 2)", async () => {
    const store = crypto.randomUUID();
    const anonymous = await edge(`/v1/cart?storeId=${store}`, { headers: { "cf-connecting-ip": freshIp() } });
    expect(anonymous.status).toBe(401);
    const id = requestId();
    const guestToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJndWVzdCJ9.c2lnbmF0dXJlLXBhcnQ";
    const response = await edge(`/v1/cart?storeId=${store}`, {
      headers: { "x-guest-token": guestToken, "x-request-id": id, "cf-connecting-ip": freshIp() },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cache")).toBeNull();
    const [sent] = await receivedByCore(id);
    expect(sent?.headers["x-guest-token"]).toBe(guestToken);
    expect(sent?.headers["x-user-id"]).toBeUndefined();
  });

  it("merges only by a guest token, never by a user id", async () => {
    const response = await edge("/v1/cart/merge", {
      method: "POST",
      headers: { ...(await as()), "content-type": "application/json" },
      body: JSON.stringify({ guestId: crypto.randomUUID(), storeId: crypto.randomUUID() }),
    });
    expect(response.status).toBe(400);
  });

  it("hands out guest tokens to anyone, not to be stored by caches", async () => {
    const response = await edge("/v1/cart/guest", {
      method: "POST",
      headers: { "cf-connecting-ip": freshIp() },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});
