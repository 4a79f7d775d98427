import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { AppError } from "../../shared/http/errors";
import { enqueueLatest } from "../../shared/outbox/enqueue";
import type { Database, StockRow } from "../db/schema";
import { lockStock, setOnHand } from "../db/stock-repository";
import { levelsChanged, replyTo } from "../domain/messages";

/** Receives or adjusts a SKU's counted stock; it may not drop below what orders already hold (422). */
export async function adjustStock(
  db: Kysely<Database>,
  change: { storeId: string; sku: string; onHand: number },
): Promise<StockRow> {
  return transact(db, async (trx) => {
    const current = await lockStock(trx, change.storeId, change.sku);
    if (current && change.onHand < current.reserved) {
      const message = `on hand ${change.onHand} is below the ${current.reserved} units reserved for orders`;
      throw new AppError(422, "below_reserved", message, [{ path: "onHand", message }]);
    }
    const row = await setOnHand(trx, change.storeId, change.sku, change.onHand);
    enqueueLatest(trx, levelsChanged([row], replyTo(null)));
    return row;
  });
}
