import { describe, expect, it } from "vitest";
import { as, edge } from "../../test/helpers";

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

  it("never serves one shopper's cached cart to another", async () => {
    const store = crypto.randomUUID();
    await edge(`/v1/cart?storeId=${store}`, { headers: await as() });
    const other = await edge(`/v1/cart?storeId=${store}`, { headers: await as() });
    expect(other.headers.get("x-cache")).toBe("MISS");
  });
});
