import type { Line } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { CartRow, Database } from "./schema";

export interface CartRef {
  userId: string;
  storeId: string;
}

/** The durable copy of a cart; `forUpdate` locks it for a read-modify-write. */
export async function findCart(
  db: Kysely<Database>,
  cart: CartRef,
  { forUpdate = false } = {},
): Promise<CartRow | undefined> {
  let query = db
    .selectFrom("carts")
    .selectAll()
    .where("user_id", "=", cart.userId)
    .where("store_id", "=", cart.storeId);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Stores a cart state unless a newer version is already stored (flushes may arrive out of order). */
export async function saveCart(
  db: Kysely<Database>,
  cart: CartRef & { lines: Line[]; version: number },
): Promise<void> {
  await db
    .insertInto("carts")
    .values({
      user_id: cart.userId,
      store_id: cart.storeId,
      lines: JSON.stringify(cart.lines),
      version: cart.version,
    })
    .onConflict((conflict) =>
      conflict
        .columns(["user_id", "store_id"])
        .doUpdateSet((eb) => ({
          lines: eb.ref("excluded.lines"),
          version: eb.ref("excluded.version"),
          updated_at: new Date(),
        }))
        .whereRef("carts.version", "<", "excluded.version"),
    )
    .execute();
}
