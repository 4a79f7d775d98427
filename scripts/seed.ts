import type { Role } from "@qc/contracts";
import { type Config, loadConfig } from "../core/shared/config";
import { type ServiceName, serviceUrl } from "../core/shared/runtime/context";
import { signedRequest } from "../core/shared/testing/signed-request";
import { demoProducts, demoStores, ridersPerStore } from "./seed/demo-data";

// Seeding acts as an operator would: through the admin routes of each service, signed as the edge signs.
const operator = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] as Role[] };

const call = async (config: Config, service: ServiceName, method: string, path: string, body?: unknown) => {
  const request = await signedRequest(method, path, {
    body,
    user: operator,
    baseUrl: serviceUrl(config, service),
    secret: config.EDGE_SIGNING_SECRET,
  });
  const response = await fetch(request);
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return response.json() as Promise<unknown>;
};

/** Adds a rider once delivery knows the store: 422 until catalog's StoreUpserted has reached it. */
const addRider = async (config: Config, storeId: string, name: string) => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(config, "delivery", "POST", `/v1/admin/stores/${storeId}/riders`, { name });
    } catch (error) {
      if (attempt >= 100 || !String(error).includes("unknown_store")) throw error;
      await Bun.sleep(300);
    }
  }
};

/** Loads the demo dark stores, products, prices, stock and riders; running it again changes nothing. */
export async function seedDemoData(config: Config): Promise<void> {
  for (const store of demoStores) await call(config, "catalog", "POST", "/v1/admin/stores", store);
  for (const store of demoStores) {
    const riders = (await call(
      config,
      "delivery",
      "GET",
      `/v1/admin/stores/${store.storeId}/riders`,
    )) as unknown[];
    for (let index = riders.length; index < ridersPerStore; index++) {
      await addRider(config, store.storeId, `${store.name.split(" ")[0]} rider ${index + 1}`);
    }
  }
  for (const product of demoProducts) {
    await call(config, "catalog", "POST", "/v1/admin/products", {
      sku: product.sku,
      name: product.name,
      category: product.category,
      unit: product.unit,
    });
    for (const store of demoStores) {
      await call(config, "pricing", "PUT", `/v1/admin/stores/${store.storeId}/prices/${product.sku}`, {
        price: { amountMinor: product.priceMinor, currency: "EUR" },
      });
      await call(config, "inventory", "PUT", `/v1/admin/stores/${store.storeId}/stock/${product.sku}`, {
        onHand: product.stock,
      });
    }
  }
}

if (import.meta.main) {
  await seedDemoData(loadConfig());
  console.log(`seeded ${demoStores.length} stores and ${demoProducts.length} products`);
}
