import { describe, expect, it } from "vitest";
import { as, edge, freshIp, requestId } from "../../test/helpers";

const cacheOf = async (path: string) =>
  (await edge(path, { headers: { "x-request-id": requestId(), "cf-connecting-ip": freshIp() } })).headers.get(
    "x-cache",
  );

const asAdmin = async (method: string, path: string, body: unknown) =>
  edge(path, {
    method,
    headers: {
      ...(await as({ roles: ["admin"] })),
      "content-type": "application/json",
      "x-request-id": requestId(),
    },
    body: JSON.stringify(body),
  });

const price = { amountMinor: 129, currency: "EUR" };

describe("an operator reads what they just wrote", () => {
  it("retires the product's cached page and its store's listings once core accepted a product with prices", async () => {
    const store = crypto.randomUUID();
    const other = crypto.randomUUID();
    const page = `/v1/catalog/products/KALE-1?storeId=${store}`;
    const listing = `/v1/catalog/products?storeId=${store}&limit=20`;
    const elsewhere = `/v1/catalog/products/KALE-1?storeId=${other}`;
    for (const path of [page, listing, elsewhere]) {
      expect(await cacheOf(path)).toBe("MISS");
      expect(await cacheOf(path)).toBe("HIT");
    }

    const created = await asAdmin("POST", "/v1/admin/products", {
      sku: "KALE-1",
      name: "Kale",
      category: "Vegetables",
      unit: "250 g",
      prices: [{ storeId: store, price }],
    });
    expect(created.status).toBe(201);
    expect(await cacheOf(page)).toBe("MISS");
    expect(await cacheOf(listing)).toBe("MISS");
    // A store the write did not touch keeps its cache.
    expect(await cacheOf(elsewhere)).toBe("HIT");
  });

  it("retires a product's page when its price or stock is set", async () => {
    const store = crypto.randomUUID();
    const page = `/v1/catalog/products/KALE-2?storeId=${store}`;
    await cacheOf(page);
    expect(await cacheOf(page)).toBe("HIT");
    expect((await asAdmin("PUT", `/v1/admin/stores/${store}/prices/KALE-2`, { price })).status).toBe(200);
    expect(await cacheOf(page)).toBe("MISS");
    expect(await cacheOf(page)).toBe("HIT");
    expect((await asAdmin("PUT", `/v1/admin/stores/${store}/stock/KALE-2`, { onHand: 12 })).status).toBe(200);
    expect(await cacheOf(page)).toBe("MISS");
  });

  it("keeps the cache when the write was refused", async () => {
    const store = crypto.randomUUID();
    const page = `/v1/catalog/products/KALE-3?storeId=${store}`;
    await cacheOf(page);
    const refused = await asAdmin("PUT", `/v1/admin/stores/${store}/stock/KALE-3`, { onHand: -1 });
    expect(refused.status).toBe(400);
    expect(await cacheOf(page)).toBe("HIT");
  });
});
