import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  type CategoriesResponse,
  createMessage,
  type ProductPage,
  type ProductView,
  type ServiceableStore,
  type StoreView,
  topicOf,
  withPrefix,
} from "@qc/contracts";
import type { Kysely } from "kysely";
import { pricingService } from "../pricing/main";
import { awaitOutbox, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import type { Database } from "./db/schema";
import { catalogService } from "./main";

const admin = { userId: Bun.randomUUIDv7(), roles: ["admin" as const] };
const shopper = { userId: Bun.randomUUIDv7(), roles: ["shopper" as const] };
const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });
// About 1 km of latitude.
const KM_LAT = 1 / 111.195;

// MG Road and Koramangala, about 5 km apart.
const mgRoad = { lat: 12.9716, lng: 77.5946 };
const koramangala = { lat: 12.9352, lng: 77.6245 };

let env: TestEnvironment;
let catalog: TestService;
let db: Kysely<Database>;

const until = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(100);
  }
};

const createStore = async (body: Record<string, unknown>) => {
  const response = await catalog.call("POST", "/v1/admin/stores", { body, user: admin });
  expect(response.status).toBe(201);
  return (await response.json()) as StoreView;
};
const upsertProduct = async (body: Record<string, unknown>) => {
  const response = await catalog.call("POST", "/v1/admin/products", { body, user: admin });
  expect(response.status).toBe(200);
  return response.json();
};
const serviceable = (point: { lat: number; lng: number }) =>
  catalog.call("GET", `/v1/stores/serviceable?lat=${point.lat}&lng=${point.lng}`);
const get = async <T>(path: string): Promise<T> => {
  const response = await catalog.call("GET", path);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
};

beforeAll(async () => {
  env = await testEnvironment({ database: "qc_test_catalog" });
  catalog = await env.start(catalogService);
  db = env.db("catalog");
});
afterAll(() => env.stop(), 30_000);

describe("serviceability", () => {
  let central: StoreView;
  let south: StoreView;
  beforeAll(async () => {
    central = await createStore({ name: "MG Road", location: mgRoad, serviceRadiusMeters: 3_000 });
    south = await createStore({ name: "Koramangala", location: koramangala, serviceRadiusMeters: 6_000 });
    // Closed: the nearest to every point below, yet it must never be chosen.
    await createStore({
      name: "Closed",
      location: { lat: mgRoad.lat + 0.001, lng: mgRoad.lng },
      serviceRadiusMeters: 50_000,
      active: false,
    });
  });

  it("answers the store whose radius covers the point, with an ETA of 8 + 2 per km", async () => {
    const response = await serviceable({ lat: mgRoad.lat + KM_LAT, lng: mgRoad.lng });
    expect(response.status).toBe(200);
    expect((await response.json()) as ServiceableStore).toEqual({
      storeId: central.storeId,
      name: "MG Road",
      etaMinutes: 10,
    });
  });

  it("picks the nearest store when several deliver to the point", async () => {
    // Points on the line between the two stores, inside both radii (MG Road 3 km, Koramangala 6 km).
    const between = (share: number) => ({
      lat: mgRoad.lat + (koramangala.lat - mgRoad.lat) * share,
      lng: mgRoad.lng + (koramangala.lng - mgRoad.lng) * share,
    });
    const nearerCentral = await serviceable(between(0.4)); // ~2.1 km vs ~3.1 km
    expect(((await nearerCentral.json()) as ServiceableStore).storeId).toBe(central.storeId);
    const nearerSouth = await serviceable(between(0.55)); // ~2.8 km vs ~2.3 km
    expect(((await nearerSouth.json()) as ServiceableStore).storeId).toBe(south.storeId);
  });

  it("answers 404 no_store_serves_location outside every radius", async () => {
    const response = await serviceable({ lat: 13.2, lng: 77.7 });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(((await response.json()) as { type: string }).type).toEndWith("no_store_serves_location");
  });

  it("refuses a latitude out of range, naming the field", async () => {
    const response = await catalog.call("GET", "/v1/stores/serviceable?lat=123&lng=77");
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path)).toContain("lat");
  });

  it("stops serving from a store once it is closed, and publishes StoreUpserted", async () => {
    const store = await createStore({
      name: "Whitefield",
      location: { lat: 12.9698, lng: 77.75 },
      serviceRadiusMeters: 2_000,
    });
    const point = { lat: 12.9698, lng: 77.7501 };
    expect((await serviceable(point)).status).toBe(200);
    const closed = await catalog.call("PUT", `/v1/admin/stores/${store.storeId}`, {
      body: { name: "Whitefield", location: store.location, serviceRadiusMeters: 2_000, active: false },
      user: admin,
    });
    expect(closed.status).toBe(200);
    expect((await serviceable(point)).status).toBe(404);
    const events = await awaitOutbox(db, store.storeId, "StoreUpserted", { count: 2 });
    expect(events.map((event) => (event.data as { active: boolean }).active)).toEqual([true, false]);
  });

  it("serves a store's location and radius to other services", async () => {
    expect((await fetch(`${catalog.url}/internal/v1/stores/${central.storeId}`)).status).toBe(401);
    const response = await catalog.call("GET", `/internal/v1/stores/${central.storeId}`, {
      caller: "delivery",
    });
    expect(await response.json()).toEqual({ ...central });
    expect(
      (await catalog.call("GET", `/internal/v1/stores/${Bun.randomUUIDv7()}`, { caller: "delivery" })).status,
    ).toBe(404);
  });
});

describe("admin access", () => {
  it("refuses store and product changes to shoppers (403) and to anonymous callers (401)", async () => {
    const store = { name: "X", location: mgRoad, serviceRadiusMeters: 1_000 };
    expect((await catalog.call("POST", "/v1/admin/stores", { body: store, user: shopper })).status).toBe(403);
    expect((await catalog.call("POST", "/v1/admin/stores", { body: store })).status).toBe(401);
    const product = { sku: "NOPE-1", name: "Nope", category: "Dairy" };
    expect((await catalog.call("POST", "/v1/admin/products", { body: product, user: shopper })).status).toBe(
      403,
    );
    expect((await catalog.call("DELETE", "/v1/admin/products/NOPE-1", { user: shopper })).status).toBe(403);
  });
});

describe("products in a store", () => {
  let storeId: string;
  let otherStoreId: string;
  const dairy = [
    { sku: "AMUL-MILK-1L", name: "Amul Taaza Toned Milk", brand: "Amul", unit: "1 L", price: 5_600 },
    { sku: "AMUL-BUTTER-500", name: "Amul Butter", brand: "Amul", unit: "500 g", price: 27_500 },
    { sku: "MD-CURD-400", name: "Mother Dairy Curd", brand: "Mother Dairy", unit: "400 g", price: 4_500 },
    { sku: "NANDINI-MILK-500", name: "Nandini Milk", brand: "Nandini", unit: "500 ml", price: 2_400 },
    {
      sku: "GO-CHEESE-200",
      name: "Gowardhan Cheese Slices",
      brand: "Gowardhan",
      unit: "200 g",
      price: 13_000,
    },
  ];
  const fruit = [
    { sku: "BANANA-ROB-6", name: "Banana Robusta", brand: null, unit: "6 pcs", price: 4_900 },
    { sku: "APPLE-SHIMLA-4", name: "Apple Shimla", brand: null, unit: "4 pcs", price: 18_000 },
  ];

  beforeAll(async () => {
    storeId = (
      await createStore({
        name: "Indiranagar",
        location: { lat: 12.9784, lng: 77.6408 },
        serviceRadiusMeters: 3_000,
      })
    ).storeId;
    otherStoreId = (
      await createStore({
        name: "Jayanagar",
        location: { lat: 12.925, lng: 77.5938 },
        serviceRadiusMeters: 3_000,
      })
    ).storeId;
    for (const item of dairy)
      await upsertProduct({ ...item, category: "Dairy", attributes: { vegetarian: true }, price: undefined });
    for (const item of fruit)
      await upsertProduct({ ...item, category: "Fruits & Vegetables", price: undefined });
    // An active product nobody priced in this store: not for sale there.
    await upsertProduct({ sku: "UNPRICED-1", name: "Amul Ghee", brand: "Amul", category: "Dairy" });
    for (const item of [...dairy, ...fruit]) {
      await publish(catalog, "PriceChanged", { storeId, sku: item.sku, price: inr(item.price) });
      await publish(catalog, "StockLevelChanged", {
        storeId,
        sku: item.sku,
        onHand: 10,
        reserved: 2,
        available: 8,
      });
    }
    await until(async () => {
      const rows = await db
        .selectFrom("store_products")
        .select("sku")
        .where("store_id", "=", storeId)
        .where("available", ">", 0)
        .execute();
      return rows.length === dairy.length + fruit.length;
    });
  }, 60_000);

  it("shows a product with the store's price and availability", async () => {
    const milk = await get<ProductView>(`/v1/catalog/products/AMUL-MILK-1L?storeId=${storeId}`);
    expect(milk).toMatchObject({
      sku: "AMUL-MILK-1L",
      storeId,
      name: "Amul Taaza Toned Milk",
      category: "dairy",
      brand: "Amul",
      unit: "1 L",
      attributes: { vegetarian: true },
      price: inr(5_600),
      available: 8,
      inStock: true,
    });
    expect(
      (await catalog.call("GET", `/v1/catalog/products/AMUL-MILK-1L?storeId=${otherStoreId}`)).status,
    ).toBe(404);
    expect((await catalog.call("GET", `/v1/catalog/products/UNPRICED-1?storeId=${storeId}`)).status).toBe(
      404,
    );
  });

  it("finds products by words of their name or brand, including partial words", async () => {
    const amul = await get<ProductPage>(`/v1/catalog/products?storeId=${storeId}&q=amul`);
    expect(amul.items.map((item) => item.sku)).toEqual(["AMUL-BUTTER-500", "AMUL-MILK-1L"]);
    const milk = await get<ProductPage>(`/v1/catalog/products?storeId=${storeId}&q=mil`);
    expect(milk.items.map((item) => item.sku)).toEqual(["AMUL-MILK-1L", "NANDINI-MILK-500"]);
    const both = await get<ProductPage>(
      `/v1/catalog/products?storeId=${storeId}&q=${encodeURIComponent("nandini milk")}`,
    );
    expect(both.items.map((item) => item.sku)).toEqual(["NANDINI-MILK-500"]);
    const none = await get<ProductPage>(`/v1/catalog/products?storeId=${storeId}&q=chocolate`);
    expect(none).toEqual({ items: [], nextCursor: null });
  });

  it("pages through a category by name with a cursor, without gaps or repeats", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ProductPage = await get<ProductPage>(
        `/v1/catalog/products?storeId=${storeId}&category=dairy&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...dairy.map((item) => item.name)].sort());
  });

  it("refuses a cursor it did not issue", async () => {
    const response = await catalog.call("GET", `/v1/catalog/products?storeId=${storeId}&cursor=bm90IG91cnM`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("cursor");
  });

  it("counts the products of each category the store sells", async () => {
    const categories = await get<CategoriesResponse>(`/v1/catalog/categories?storeId=${storeId}`);
    expect(categories.items).toEqual([
      { slug: "dairy", name: "Dairy", productCount: dairy.length },
      { slug: "fruits-vegetables", name: "Fruits & Vegetables", productCount: fruit.length },
    ]);
    expect((await get<CategoriesResponse>(`/v1/catalog/categories?storeId=${otherStoreId}`)).items).toEqual(
      [],
    );
  });

  it("follows PriceChanged and StockLevelChanged arriving through Kafka", async () => {
    await publish(catalog, "PriceChanged", { storeId, sku: "BANANA-ROB-6", price: inr(5_200) });
    await publish(catalog, "StockLevelChanged", {
      storeId,
      sku: "BANANA-ROB-6",
      onHand: 3,
      reserved: 3,
      available: 0,
    });
    await until(async () => {
      const banana = await get<ProductView>(`/v1/catalog/products/BANANA-ROB-6?storeId=${storeId}`);
      return banana.price.amountMinor === 5_200 && !banana.inStock;
    });
    const banana = await get<ProductView>(`/v1/catalog/products/BANANA-ROB-6?storeId=${storeId}`);
    expect(banana).toMatchObject({ price: inr(5_200), available: 0, inStock: false });
  });

  it("ignores a stock level older than the one it already holds", async () => {
    const late = createMessage(
      "StockLevelChanged",
      { storeId, sku: "AMUL-BUTTER-500", onHand: 99, reserved: 0, available: 99 },
      { source: "test", correlationId: Bun.randomUUIDv7(), occurredAt: new Date(Date.now() - 3_600_000) },
    );
    await catalog.ctx.bus.publish([
      {
        topic: withPrefix(env.config.TOPIC_PREFIX, topicOf(late.type)),
        key: late.subject,
        value: JSON.stringify(late),
      },
    ]);
    await until(async () =>
      Boolean(
        await db
          .selectFrom("inbox")
          .select("message_id")
          .where("message_id", "=", late.id)
          .executeTakeFirst(),
      ),
    );
    const butter = await get<ProductView>(`/v1/catalog/products/AMUL-BUTTER-500?storeId=${storeId}`);
    expect(butter.available).toBe(8);
  });

  it("publishes ProductUpserted and ProductRemoved, and a removed product leaves the store's list", async () => {
    const [upserted] = await awaitOutbox(db, "APPLE-SHIMLA-4", "ProductUpserted");
    expect(upserted?.data).toMatchObject({
      sku: "APPLE-SHIMLA-4",
      category: "fruits-vegetables",
      active: true,
    });
    expect((await catalog.call("DELETE", "/v1/admin/products/APPLE-SHIMLA-4", { user: admin })).status).toBe(
      204,
    );
    await awaitOutbox(db, "APPLE-SHIMLA-4", "ProductRemoved");
    const fruits = await get<ProductPage>(
      `/v1/catalog/products?storeId=${storeId}&category=fruits-vegetables`,
    );
    expect(fruits.items.map((item) => item.sku)).toEqual(["BANANA-ROB-6"]);
    expect((await catalog.call("DELETE", "/v1/admin/products/APPLE-SHIMLA-4", { user: admin })).status).toBe(
      404,
    );
  });

  it("answers 404 for an unknown store", async () => {
    expect((await catalog.call("GET", `/v1/catalog/products?storeId=${Bun.randomUUIDv7()}`)).status).toBe(
      404,
    );
  });
});

describe("prices sent with a product", () => {
  it("are set in pricing, whose PriceChanged brings them into the catalog", async () => {
    await env.start(pricingService);
    const store = await createStore({
      name: "HSR",
      location: { lat: 12.9116, lng: 77.6474 },
      serviceRadiusMeters: 3_000,
    });
    await upsertProduct({
      sku: "EGGS-12",
      name: "Farm Eggs",
      category: "Dairy",
      prices: [{ storeId: store.storeId, price: inr(9_900) }],
    });
    await until(
      async () =>
        (await catalog.call("GET", `/v1/catalog/products/EGGS-12?storeId=${store.storeId}`)).status === 200,
      // Pricing's relay and the catalog's consumer group may still be joining on a busy broker.
      45_000,
    );
    const eggs = await get<ProductView>(`/v1/catalog/products/EGGS-12?storeId=${store.storeId}`);
    expect(eggs.price).toEqual(inr(9_900));
  }, 90_000);
});
