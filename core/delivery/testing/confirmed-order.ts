import type { Kysely } from "kysely";
import { publish } from "../../shared/testing/messages";
import type { TestService } from "../../shared/testing/service";
import type { Database } from "../db/schema";

const address = { line1: "Torstr. 1", lat: 52.529, lng: 13.401 };
const money = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

/** The bag that picks an order of `confirmedOrder` in full. */
export const allLines = [
  { sku: "MILK-1L", picked: 2 },
  { sku: "BREAD-500G", picked: 1 },
];

/**
 * An order placed and confirmed in a store, announced to delivery as the order service does; resolves once its
 * pick task's work item is in the store's queue (confirmed by the broker).
 */
export async function confirmedOrder(
  delivery: TestService,
  db: Kysely<Database>,
  storeId: string,
  { express = false, userId = crypto.randomUUID() } = {},
) {
  const orderId = crypto.randomUUID();
  const ref = { orderId, userId, storeId };
  await publish(delivery, "OrderPlaced", {
    ...ref,
    lines: [
      { sku: "MILK-1L", quantity: 2, unitPriceMinor: 129 },
      { sku: "BREAD-500G", quantity: 1, unitPriceMinor: 249 },
    ],
    subtotal: money(507),
    deliveryFee: money(199),
    discount: money(0),
    total: money(706),
    address,
    couponCode: null,
    express,
  });
  const confirmed = await publish(delivery, "OrderConfirmed", {
    ...ref,
    paymentId: crypto.randomUUID(),
    deliveryId: crypto.randomUUID(),
    total: money(706),
    etaMinutes: 12,
  });
  for (let i = 0; i < 300; i++) {
    const task = await db
      .selectFrom("pick_tasks")
      .select("published_at")
      .where("order_id", "=", orderId)
      .executeTakeFirst();
    if (task?.published_at) return { orderId, confirmed };
    await Bun.sleep(50);
  }
  throw new Error(`order ${orderId} never became a published pick task`);
}
