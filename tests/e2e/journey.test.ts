import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedDemoData } from "../../scripts/seed";
import { demoStores } from "../../scripts/seed/demo-data";
import { type Platform, startPlatform } from "../support/platform";

// A shopper's whole journey through the edge in workerd and the real core behind it.
describe("a shopper's journey through the edge", () => {
  let platform: Platform;
  const edge: Platform["edge"] = (path, init) => platform.edge(path, init);

  beforeAll(async () => {
    platform = await startPlatform();
    await seedDemoData(platform.env.config);
  }, 300_000);
  afterAll(() => platform?.stop());

  it("registers, logs in, finds a store, browses, fills the cart, checks out and sees the order CONFIRMED", async () => {
    const email = `shopper-${crypto.randomUUID()}@example.com`;
    const password = "correct horse battery staple";
    const registered = await edge("/v1/auth/register", {
      method: "POST",
      body: JSON.stringify({ email, password, name: "Ada" }),
    });
    expect(registered.status).toBe(201);

    const login = await edge("/v1/auth/login", { method: "POST", body: JSON.stringify({ email, password }) });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };

    const mitte = demoStores[0];
    if (!mitte) throw new Error("no demo store");
    const serviceable = await edge(
      `/v1/stores/serviceable?lat=${mitte.location.lat + 0.002}&lng=${mitte.location.lng}`,
    );
    expect(serviceable.status).toBe(200);
    const store = (await serviceable.json()) as { storeId: string };
    expect(store.storeId).toBe(mitte.storeId);

    const products = await edge(`/v1/catalog/products?storeId=${store.storeId}&q=milk`);
    expect(products.status).toBe(200);
    const page = (await products.json()) as { items: { sku: string }[] };
    expect(page.items.map((item) => item.sku)).toContain("MILK-1L");

    const put = await edge("/v1/cart/items/MILK-1L", {
      method: "PUT",
      token: accessToken,
      body: JSON.stringify({ storeId: store.storeId, quantity: 2 }),
    });
    expect(put.status).toBeLessThan(300);
    const cart = await edge(`/v1/cart?storeId=${store.storeId}`, { token: accessToken });
    expect(cart.status).toBe(200);
    const cartView = (await cart.json()) as {
      lines: { sku: string; quantity: number }[];
      total: { amountMinor: number };
    };
    expect(cartView.lines).toEqual([expect.objectContaining({ sku: "MILK-1L", quantity: 2 })]);
    expect(cartView.total.amountMinor).toBeGreaterThan(2 * 119);

    const placed = await edge("/v1/orders", {
      method: "POST",
      token: accessToken,
      headers: { "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({
        storeId: store.storeId,
        address: { line1: "Torstr. 1", lat: mitte.location.lat + 0.003, lng: mitte.location.lng },
        payment: { token: "tok_visa" },
      }),
    });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };

    let status = "PENDING";
    const deadline = Date.now() + 60_000;
    while (status === "PENDING" && Date.now() < deadline) {
      await Bun.sleep(300);
      const order = await edge(`/v1/orders/${orderId}`, { token: accessToken });
      expect(order.status).toBe(200);
      status = ((await order.json()) as { status: string }).status;
    }
    expect(status).toBe("CONFIRMED");
  }, 120_000);
});
