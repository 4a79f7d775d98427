import type { Line } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { TestService } from "../../shared/testing/service";
import type { Database } from "../db/schema";

/** Puts SKUs on the shelf of a store through the admin endpoint, as that store's staff would. */
export async function receive(service: TestService, storeId: string, stock: Record<string, number>) {
  for (const [sku, onHand] of Object.entries(stock)) {
    const response = await service.call("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, {
      body: { onHand },
      user: { userId: crypto.randomUUID(), roles: ["store_staff"], storeIds: [storeId] },
    });
    if (response.status !== 200) throw new Error(`receiving ${sku} failed: ${await response.text()}`);
  }
}

/** The stock row of one SKU, as a test wants to see it. */
export async function stockOf(db: Kysely<Database>, storeId: string, sku: string) {
  return db
    .selectFrom("stock")
    .select(["on_hand", "reserved", "received", "sold"])
    .where("store_id", "=", storeId)
    .where("sku", "=", sku)
    .executeTakeFirstOrThrow();
}

/**
 * reserved + available + sold = received for every row of a store, and the reserved and sold columns
 * agree with the reservations that hold or sold the units.
 */
export async function assertConservation(db: Kysely<Database>, storeId: string) {
  const rows = await db.selectFrom("stock").selectAll().where("store_id", "=", storeId).execute();
  const reservations = await db
    .selectFrom("reservations")
    .selectAll()
    .where("store_id", "=", storeId)
    .execute();
  const held = new Map<string, number>();
  const sold = new Map<string, number>();
  for (const reservation of reservations) {
    const into = reservation.status === "RESERVED" ? held : reservation.status === "COMMITTED" ? sold : null;
    for (const line of reservation.lines as Line[])
      into?.set(line.sku, (into.get(line.sku) ?? 0) + line.quantity);
  }
  return rows.map((row) => ({
    sku: row.sku as string,
    balanced: row.reserved + (row.on_hand - row.reserved) + row.sold === row.received,
    reservedMatches: row.reserved === (held.get(row.sku) ?? 0),
    soldMatches: row.sold === (sold.get(row.sku) ?? 0),
  }));
}
