import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type AnyMessage, createMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { migrateService } from "../../shared/runtime/service";
import { type TestEnvironment, testEnvironment } from "../../shared/testing/service";
import type { Database } from "../db/schema";
import { storeCache } from "../db/store-cache";
import { deliveryService } from "../main";
import { createDelivery, takeRidersAhead } from "./create-delivery";

const at = { lat: 52.52, lng: 13.405 };

describe("a batch's riders taken ahead of the commands' turns", () => {
  let env: TestEnvironment;
  let db: Kysely<Database>;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_riders_ahead" });
    await migrateService(deliveryService, env.config);
    db = env.db<Database>("delivery");
  });
  afterAll(() => env.stop());

  const openStore = async (riders: number) => {
    const storeId = crypto.randomUUID();
    await db
      .insertInto("stores")
      .values({ store_id: storeId, name: "Store", ...at, service_radius_meters: 5_000, active: true })
      .execute();
    for (let i = 0; i < riders; i++)
      await db
        .insertInto("riders")
        .values({ rider_id: crypto.randomUUID(), store_id: storeId, name: `Rider ${i}`, ...at })
        .execute();
    return storeId;
  };
  const create = (storeId: string, orderId: string = crypto.randomUUID()) =>
    createMessage(
      "CreateDelivery",
      { orderId, storeId, address: { line1: "Alexanderplatz 1", ...at } },
      { source: "test", correlationId: orderId },
    );
  const busy = async (reader: Kysely<Database>, storeId: string) =>
    (
      await reader
        .selectFrom("riders")
        .select("rider_id")
        .where("store_id", "=", storeId)
        .where("status", "=", "BUSY")
        .execute()
    ).length;
  /** The batch as the delivery group applies it; how many of the store's riders were BUSY before any turn. */
  const apply = (store: string, batch: AnyMessage[]) =>
    transact(db, async (trx) => {
      const stores = storeCache(10_000);
      await takeRidersAhead(trx, batch, stores);
      const takenAhead = await busy(trx, store);
      for (const command of batch)
        if (command.type === "CreateDelivery") await createDelivery(trx, command, 60_000, stores);
      return takenAhead;
    });

  it("takes each fresh order's rider before any turn, and each command assigns the rider taken for it", async () => {
    const store = await openStore(5);
    const batch = [create(store), create(store), create(store)];
    expect(await apply(store, batch)).toBe(3);
    const deliveries = await db
      .selectFrom("deliveries")
      .select(["status", "rider_id"])
      .where("store_id", "=", store)
      .execute();
    expect(deliveries.map((delivery) => delivery.status)).toEqual(["ASSIGNED", "ASSIGNED", "ASSIGNED"]);
    expect(new Set(deliveries.map((delivery) => delivery.rider_id)).size).toBe(3);
    // A command that took a rider of its own besides the one taken for it would leave a fourth one BUSY.
    expect(await busy(db, store)).toBe(3);
    const orderIds = batch.map((command) => command.data.orderId);
    const answers = await db.selectFrom("outbox").select("type").where("key", "in", orderIds).execute();
    expect(answers.map((answer) => answer.type)).toEqual([
      "DeliveryCreated",
      "DeliveryCreated",
      "DeliveryCreated",
    ]);
  });

  it("takes nothing ahead in a batch that also cancels (a freed rider must be seen by the turns after it)", async () => {
    const store = await openStore(3);
    const cancel = createMessage(
      "CancelDelivery",
      { orderId: crypto.randomUUID(), storeId: store },
      { source: "test", correlationId: "cancel" },
    );
    expect(await apply(store, [create(store), cancel, create(store)])).toBe(0);
    expect(await busy(db, store)).toBe(2);
  });

  it("takes only an order's first command ahead, so a repeat in the batch finds the order's delivery", async () => {
    const store = await openStore(3);
    const first = create(store);
    const repeat = create(store, first.data.orderId);
    expect(await apply(store, [first, create(store), repeat])).toBe(2);
    expect(await busy(db, store)).toBe(2);
  });
});
