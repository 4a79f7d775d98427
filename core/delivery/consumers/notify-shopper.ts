import type { AnyMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";

const texts = {
  PICKED_UP: "Your rider has picked up your order",
  OUT_FOR_DELIVERY: "Your order is on its way",
  DELIVERED: "Your order has been delivered",
} as const;

/** Stores the shopper's notification; a status update reaches the user the confirmation went to. */
async function notify(trx: Kysely<Database>, message: AnyMessage): Promise<void> {
  if (message.type !== "OrderConfirmed" && message.type !== "DeliveryStatusChanged") return;
  const { orderId } = message.data;
  let userId: string | null = null;
  let kind: string;
  let body: string;
  if (message.type === "OrderConfirmed") {
    userId = message.data.userId;
    kind = "ORDER_CONFIRMED";
    body = `Your order is confirmed and arrives in about ${message.data.etaMinutes} minutes`;
  } else {
    const earlier = await trx
      .selectFrom("notifications")
      .select("user_id")
      .where("order_id", "=", orderId)
      .where("user_id", "is not", null)
      .executeTakeFirst();
    userId = earlier?.user_id ?? null;
    kind = message.data.status;
    body = texts[message.data.status];
  }
  await trx
    .insertInto("notifications")
    .values({ message_id: message.id, order_id: orderId, user_id: userId, kind, body })
    .onConflict((oc) => oc.column("message_id").doNothing())
    .execute();
}

/**
 * Choreography: tells the shopper when their order is confirmed and as the rider moves. It listens on its
 * own consumer group; the orchestrator does not know it exists.
 */
export const startShopperNotifications = (ctx: ServiceContext<Database>) =>
  startConsumer(
    {
      groupId: "delivery-notifications",
      topics: ["order.events.v1", "delivery.events.v1"],
      handlers: { OrderConfirmed: notify, DeliveryStatusChanged: notify },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
