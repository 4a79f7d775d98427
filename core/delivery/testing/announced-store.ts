import type { LatLng } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { RunningService } from "../../shared/runtime/service";
import { publish } from "../../shared/testing/messages";
import type { Database } from "../db/schema";

/** A store the catalog announced (StoreUpserted), once the delivery service has learnt it; its id. */
export async function announcedStore(delivery: RunningService, db: Kysely<Database>, location: LatLng) {
  const storeId = crypto.randomUUID();
  await publish(delivery, "StoreUpserted", {
    storeId,
    name: "Koramangala",
    location,
    serviceRadiusMeters: 5_000,
    active: true,
  });
  for (
    let i = 0;
    i < 200 &&
    !(await db.selectFrom("stores").select("store_id").where("store_id", "=", storeId).executeTakeFirst());
    i++
  )
    await Bun.sleep(50);
  return storeId;
}
