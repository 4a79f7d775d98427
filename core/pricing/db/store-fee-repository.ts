import type { Kysely } from "kysely";
import type { Database } from "./schema";

/** Sets a store's delivery fee. */
export async function upsertDeliveryFee(db: Kysely<Database>, storeId: string, deliveryFeeMinor: number) {
  await db
    .insertInto("store_fees")
    .values({ store_id: storeId, delivery_fee_minor: deliveryFeeMinor })
    .onConflict((conflict) =>
      conflict
        .column("store_id")
        .doUpdateSet({ delivery_fee_minor: deliveryFeeMinor, updated_at: new Date() }),
    )
    .execute();
}
