import type { AnyMessage, ShopperNotification } from "@qc/contracts";
import { BACKGROUND_GATHER_MS } from "../../shared/bus";
import { type PreparedHandler, startConsumer } from "../../shared/consumer/runner";
import type { WorkQueues } from "../../shared/queue";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { itemsChangedNotice, notificationOf } from "../domain/picking";
import { SHOPPER_NOTIFICATIONS } from "../wiring";

/**
 * Choreography: what the shopper is told as their order moves (confirmed, packed, picked up, on its way,
 * delivered) and what the store changed in their bag (missing items, substitutes) goes to the notifier's
 * RabbitMQ queue. The publish is confirmed before the message counts as
 * handled; a redelivered event publishes the same notification id again, which the notifier sends once.
 * The orchestrator does not know this exists.
 */
export function startShopperNotifications(
  ctx: ServiceContext<Database>,
  queue: WorkQueues<ShopperNotification>,
) {
  const publish = async (notification: ShopperNotification | null) => {
    if (notification)
      await queue.publish(SHOPPER_NOTIFICATIONS, notification, { messageId: notification.notificationId });
  };
  const notify: PreparedHandler<void> = {
    prepare: (message: AnyMessage) => {
      if (message.type === "OrderConfirmed")
        return publish(notificationOf(message.id, message.data, "CONFIRMED", message.data.etaMinutes));
      if (message.type === "OrderStatusChanged")
        return publish(notificationOf(message.id, message.data, message.data.status));
      // Older OrderPacked messages name no shopper; their bags were packed as ordered.
      if (message.type === "OrderPacked" && message.data.userId)
        return publish(
          itemsChangedNotice(
            message.id,
            { ...message.data, userId: message.data.userId },
            message.data.lines,
          ),
        );
      return Promise.resolve();
    },
    apply: async () => {},
  };
  return startConsumer(
    {
      groupId: "delivery-notifications",
      gatherMs: BACKGROUND_GATHER_MS,
      topics: ["order.events.v1", "delivery.events.v1"],
      handlers: { OrderConfirmed: notify, OrderStatusChanged: notify, OrderPacked: notify },
      // The notifier sends each notification id once (its `notifications` record), so this group needs no
      // inbox row or transaction per event, and a new group may replay the retained events: those already
      // told are not sent again, and none produced before the group first joined is missed.
      live: true,
      fromBeginning: true,
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
