import type { Role } from "@qc/contracts";
import { type Config, loadConfig } from "../core/shared/config";
import { serviceUrl } from "../core/shared/runtime/context";
import { signedRequest } from "../core/shared/testing/signed-request";
import { demoProducts, demoStores, ridersPerStore } from "./seed/demo-data";

// Seeding acts as an operator would: through the admin routes of each service, signed as the edge signs.
const operator = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] as Role[] };

const call = async (
  config: Config,
  service: Parameters<typeof serviceUrl>[1],
  method: string,
  path: string,
  body?: unknown,
) => {
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

/** Loads the demo dark stores, products, prices, stock and riders; running it again changes nothing. */
export async function seedDemoData(config: Config): Promise<void> {
  for (const store of demoStores) {
    await call(config, "catalog", "POST", "/v1/admin/stores", store);
    const riders = (await call(
      config,
      "delivery",
      "GET",
      `/v1/admin/stores/${store.storeId}/riders`,
    )) as unknown[];
    for (let index = riders.length; index < ridersPerStore; index++) {
      await call(config, "delivery", "POST", `/v1/admin/stores/${store.storeId}/riders`, {
        name: `${store.name.split(" ")[0]} rider ${index + 1}`,
      });
    }
  }
  for (const product of demoProducts) {
    await call(config, "catalog", "POST", "/v1/admin/products", {
      sku: product.sku,
      name: product.name,
      category: product.category,
      description: product.unit,
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
