import type { Line } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { sendAhead } from "../../shared/db/pipeline";
import type { Database, StockRow } from "./schema";

/**
 * Holds `quantity` of one SKU only if that much is available, in one conditional update: concurrent
 * reservations of a hot SKU queue on the row lock and each re-checks the condition, so none can oversell.
 */
export async function reserveLine(db: Kysely<Database>, storeId: string, line: Line) {
  return db
    .updateTable("stock")
    .set((eb) => ({ reserved: eb("reserved", "+", line.quantity), updated_at: sql`now()` }))
    .where("store_id", "=", storeId)
    .where("sku", "=", line.sku)
    .where(sql<boolean>`on_hand - reserved >= ${line.quantity}`)
    .returningAll()
    .executeTakeFirst();
}

/** How each line moves stock: a held unit is released, sold, or (an undone sale) put back on the shelf. */
export type StockMove = "release" | "sell" | "restock";

/** Applies one move to one line and returns the row as it is now. */
export function moveLine(
  db: Kysely<Database>,
  storeId: string,
  line: Line,
  move: StockMove,
): Promise<StockRow> {
  const q = line.quantity;
  return db
    .updateTable("stock")
    .set((eb) => {
      if (move === "release") return { reserved: eb("reserved", "-", q), updated_at: sql`now()` };
      if (move === "sell")
        return {
          reserved: eb("reserved", "-", q),
          on_hand: eb("on_hand", "-", q),
          sold: eb("sold", "+", q),
          updated_at: sql`now()`,
        };
      return { on_hand: eb("on_hand", "+", q), sold: eb("sold", "-", q), updated_at: sql`now()` };
    })
    .where("store_id", "=", storeId)
    .where("sku", "=", line.sku)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Applies one move to every line of a reservation and returns the rows as they are now. */
export async function moveLines(
  db: Kysely<Database>,
  storeId: string,
  lines: readonly Line[],
  move: StockMove,
): Promise<StockRow[]> {
  const rows: StockRow[] = [];
  for (const line of lines) rows.push(await moveLine(db, storeId, line, move));
  return rows;
}

/** Available units per SKU of one store; SKUs the store never stocked are absent. */
export async function availableBySku(
  db: Kysely<Database>,
  storeId: string,
  skus: readonly string[],
): Promise<Map<string, number>> {
  if (skus.length === 0) return new Map();
  const rows = await db
    .selectFrom("stock")
    .select(["sku", sql<number>`on_hand - reserved`.as("available")])
    .where("store_id", "=", storeId)
    .where("sku", "in", skus)
    .execute();
  return new Map(rows.map((row) => [row.sku, row.available]));
}

/** Every stock row of one store, by SKU. */
export function listStock(db: Kysely<Database>, storeId: string): Promise<StockRow[]> {
  return db.selectFrom("stock").selectAll().where("store_id", "=", storeId).orderBy("sku").execute();
}

/**
 * Locks the stock rows of `items` (store and SKU) until the transaction ends, in (store, SKU) byte order, sent
 * ahead: the backend takes them before it runs the transaction's next statement, so this costs no round trip.
 * A consumed batch takes its rows this way before its first command: each reservation holds its own lines in
 * SKU order, but a batch's commands come in order-id order, and two batches holding different SKUs waited for
 * each other (a deadlock Postgres breaks after a second, failing one batch). One row alone needs no order.
 */
export function lockStockRows(
  trx: Kysely<Database>,
  items: readonly { storeId: string; sku: string }[],
): Promise<void> {
  const rows = [...new Map(items.map((item) => [`${item.storeId} ${item.sku}`, item])).values()];
  if (rows.length < 2) return Promise.resolve();
  return sendAhead(
    trx,
    trx
      .selectFrom("stock")
      .select("sku")
      .where((eb) =>
        eb(
          eb.refTuple("store_id", "sku"),
          "in",
          rows.map(({ storeId, sku }) => eb.tuple(storeId, sku)),
        ),
      )
      .orderBy("store_id")
      .orderBy(sql`sku collate "C"`)
      .forUpdate(),
  );
}

/** The row of one SKU, locked until the transaction ends. */
export function lockStock(db: Kysely<Database>, storeId: string, sku: string) {
  return db
    .selectFrom("stock")
    .selectAll()
    .where("store_id", "=", storeId)
    .where("sku", "=", sku)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Sets the counted on-hand of a SKU; the difference is booked as received (positive: goods in,
 * negative: shrinkage), which keeps received = on hand + sold.
 */
export function setOnHand(db: Kysely<Database>, storeId: string, sku: string, onHand: number) {
  return db
    .insertInto("stock")
    .values({ store_id: storeId, sku, on_hand: onHand, received: onHand })
    .onConflict((oc) =>
      oc.columns(["store_id", "sku"]).doUpdateSet((eb) => ({
        received: sql`${eb.ref("stock.received")} + ${onHand} - ${eb.ref("stock.on_hand")}`,
        on_hand: onHand,
        updated_at: sql`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Takes `quantity` of a SKU off a store's shelf for a transfer, only if that much is available (the same
 * condition as a reservation, so a transfer never takes units an order holds); undefined when short. The
 * units leave the store's books: received drops with on hand, keeping received = on hand + sold.
 */
export function transferOut(db: Kysely<Database>, storeId: string, sku: string, quantity: number) {
  return db
    .updateTable("stock")
    .set((eb) => ({
      on_hand: eb("on_hand", "-", quantity),
      received: eb("received", "-", quantity),
      updated_at: sql`now()`,
    }))
    .where("store_id", "=", storeId)
    .where("sku", "=", sku)
    .where(sql<boolean>`on_hand - reserved >= ${quantity}`)
    .returningAll()
    .executeTakeFirst();
}

/** Puts transferred units on a store's shelf (received with them), creating the SKU's row if it has none. */
export function transferIn(db: Kysely<Database>, storeId: string, sku: string, quantity: number) {
  return db
    .insertInto("stock")
    .values({ store_id: storeId, sku, on_hand: quantity, received: quantity })
    .onConflict((oc) =>
      oc.columns(["store_id", "sku"]).doUpdateSet((eb) => ({
        on_hand: eb(eb.ref("stock.on_hand"), "+", quantity),
        received: eb(eb.ref("stock.received"), "+", quantity),
        updated_at: sql`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}
