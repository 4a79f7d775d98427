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

/**
 * Stores carts (one row each, in one statement); a row already at a version at least as new is left as it is,
 * so a replayed or late write never rolls a cart back.
 */
export async function saveCarts(
  db: Kysely<Database>,
  carts: readonly (CartRef & { lines: Line[]; version: number })[],
): Promise<void> {
  if (carts.length === 0) return;
  await db
    .insertInto("carts")
    .values(
      carts.map((cart) => ({
        user_id: cart.userId,
        store_id: cart.storeId,
        lines: JSON.stringify(cart.lines),
        version: cart.version,
      })),
    )
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
