import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type Kysely, sql } from "kysely";
import { migrateService } from "../../shared/runtime/service";
import { type TestEnvironment, testEnvironment } from "../../shared/testing/service";
import { deliveryService } from "../main";
import { nearestFreeRider, takeNearestFreeRider } from "./delivery-repository";
import type { Database } from "./schema";

// A store in Reykjavík: at 64° a degree of longitude is 0.44 of a degree of latitude, so an order that
// compared degrees would pick the wrong rider below.
const store = { lat: 64.1466, lng: -21.9426 };

describe("taking the nearest free rider", () => {
  let env: TestEnvironment;
  let db: Kysely<Database>;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_nearest_rider" });
    await migrateService(deliveryService, env.config);
    db = env.db<Database>("delivery");
  });
  afterAll(() => env.stop());

  const openStore = async () => {
    const storeId = crypto.randomUUID();
    await db
      .insertInto("stores")
      .values({ store_id: storeId, name: "Bench", ...store, service_radius_meters: 5_000, active: true })
      .execute();
    return storeId;
  };
  const addRider = async (
    storeId: string,
    at: { lat: number; lng: number },
    state: { status?: "FREE" | "BUSY"; active?: boolean } = {},
  ) => {
    const riderId = crypto.randomUUID();
    await db
      .insertInto("riders")
      .values({ rider_id: riderId, store_id: storeId, name: "Rider", ...at, ...state })
      .execute();
    return riderId;
  };

  /** `count` free riders within a kilometre or so of the store, in one statement. */
  const addRiders = (storeId: string, count: number) =>
    db
      .insertInto("riders")
      .columns(["rider_id", "store_id", "name", "lat", "lng"])
      .expression((eb) =>
        eb
          .selectFrom(sql<{ i: number }>`generate_series(1, ${count})`.as("g"))
          .select([
            sql`gen_random_uuid()`.as("rider_id"),
            sql.lit(storeId).as("store_id"),
            sql.lit("Rider").as("name"),
            sql`${store.lat} + random() / 100`.as("lat"),
            sql`${store.lng} + random() / 100`.as("lng"),
          ]),
      )
      .execute();

  it("takes riders nearest first on the sphere, only free and active ones of the store", async () => {
    const storeId = await openStore();
    const elsewhere = await openStore();
    // 0.0150° of longitude east is 730 m here; 0.0080° of latitude north is 890 m; 0.0100° south is 1.1 km.
    const east = await addRider(storeId, { lat: store.lat, lng: store.lng + 0.015 });
    const north = await addRider(storeId, { lat: store.lat + 0.008, lng: store.lng });
    const south = await addRider(storeId, { lat: store.lat - 0.01, lng: store.lng });
    await addRider(storeId, { ...store, lng: store.lng + 0.0001 }, { status: "BUSY" });
    await addRider(storeId, { ...store, lng: store.lng + 0.0002 }, { active: false });
    await addRider(elsewhere, store);

    const taken: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) taken.push((await takeNearestFreeRider(db, storeId, store))?.rider_id);
    expect(taken).toEqual([east, north, south, undefined]);
    const statuses = await db
      .selectFrom("riders")
      .select(["rider_id", "status"])
      .where("rider_id", "in", [east, north, south])
      .execute();
    expect(statuses.every((rider) => rider.status === "BUSY")).toBe(true);
  });

  it("takes no rider for an order that has a delivery already, and the nearest one for an order that has none", async () => {
    const storeId = await openStore();
    const rider = await addRider(storeId, { lat: store.lat + 0.001, lng: store.lng });
    const delivered = crypto.randomUUID();
    await db
      .insertInto("deliveries")
      .values({
        delivery_id: crypto.randomUUID(),
        order_id: delivered,
        store_id: storeId,
        status: "PENDING_RIDER",
      })
      .execute();
    expect(await takeNearestFreeRider(db, storeId, store, delivered)).toBeUndefined();
    expect(
      (await db.selectFrom("riders").select("status").where("rider_id", "=", rider).executeTakeFirst())
        ?.status,
    ).toBe("FREE");
    expect((await takeNearestFreeRider(db, storeId, store, crypto.randomUUID()))?.rider_id).toBe(rider);
  });

  it("skips the rider another transaction is taking instead of waiting for it", async () => {
    const storeId = await openStore();
    const nearer = await addRider(storeId, { lat: store.lat + 0.001, lng: store.lng });
    const farther = await addRider(storeId, { lat: store.lat + 0.002, lng: store.lng });
    await db.transaction().execute(async (trx) => {
      expect((await takeNearestFreeRider(trx, storeId, store))?.rider_id).toBe(nearer);
      // Another connection, while this transaction holds the nearer rider's row.
      const other = env.db<Database>("delivery");
      expect((await takeNearestFreeRider(other, storeId, store))?.rider_id).toBe(farther);
    });
  });

  it("walks the store's index nearest first, never sorting its free riders, also as a generic plan", async () => {
    const storeId = await openStore();
    await addRiders(storeId, 2_000);
    // Both shapes: CreateDelivery's (no rider for an order delivered already) and the assigner's.
    for (const near of [
      { storeId, ...store },
      { storeId, ...store, orderId: crypto.randomUUID() },
    ]) {
      const compiled = nearestFreeRider(db, near);
      const plan = await db.connection().execute(async (session) => {
        await sql`set plan_cache_mode = force_generic_plan`.execute(session);
        await sql.raw(`prepare nearest as ${compiled.sql}`).execute(session);
        const values = compiled.parameters.map((value) => sql.lit(value as string | number));
        const { rows } = await sql<{
          "QUERY PLAN": string;
        }>`explain execute nearest(${sql.join(values)})`.execute(session);
        await sql`deallocate nearest`.execute(session);
        await sql`reset plan_cache_mode`.execute(session);
        return rows.map((row) => row["QUERY PLAN"]).join("\n");
      });
      expect(plan).toContain("riders_free_nearest");
      expect(plan).toContain("Order By");
      expect(plan).not.toContain("Sort");
    }
  });

  it("is planned once per connection, not at every take: Postgres settles on its generic plan", async () => {
    const storeId = await openStore();
    // A busy store: with few riders any plan looks cheap, and Postgres keeps the generic one whatever it is.
    await addRiders(storeId, 2_000);
    await sql`analyze riders`.execute(db);
    const compiled = nearestFreeRider(db, { storeId, ...store, orderId: crypto.randomUUID() });
    const plans = await db.connection().execute(async (session) => {
      await sql.raw(`prepare take as ${compiled.sql}`).execute(session);
      // Postgres plans a prepared statement for its values five times, then keeps the generic plan unless
      // that looks dearer than the plans made for the values; every take here asks for a fresh order.
      for (let i = 0; i < 10; i++) {
        const values = nearestFreeRider(db, { storeId, ...store, orderId: crypto.randomUUID() }).parameters;
        await sql`execute take(${sql.join(values.map((value) => sql.lit(value as string | number)))})`.execute(
          session,
        );
      }
      const { rows } = await sql<{ generic_plans: string; custom_plans: string }>`
        select generic_plans, custom_plans from pg_prepared_statements where name = 'take'`.execute(session);
      await sql`deallocate take`.execute(session);
      return rows[0];
    });
    expect(Number(plans?.custom_plans)).toBe(5);
    expect(Number(plans?.generic_plans)).toBe(5);
    const busy = await db
      .selectFrom("riders")
      .select(db.fn.countAll<string>().as("taken"))
      .where("store_id", "=", storeId)
      .where("status", "=", "BUSY")
      .executeTakeFirst();
    expect(Number(busy?.taken)).toBe(10);
  });
});
