import type { ShopperNotification } from "@qc/contracts";
import type { Insertable } from "kysely";
import type { Delivery, WorkQueues } from "../../shared/queue";
import type { ServiceContext } from "../../shared/runtime/context";
import { gatherWithin } from "../../shared/runtime/gather-window";
import { withWorkItemSpan } from "../../shared/telemetry/messaging";
import type { Notifier } from "../clients/notifier";
import type { Database, NotificationsTable } from "../db/schema";
import { SHOPPER_NOTIFICATIONS } from "../wiring";

// Sends in flight per instance: the provider's latency (plus the record window), not our CPU, bounds the notifier.
const PREFETCH = 16;
// Sends that finish within this window are recorded by one insert (one commit instead of one per notification);
// each is acknowledged only once its record is in.
const RECORD_WINDOW_MS = 25;
// Notifications arrive in bursts (their order events are gathered): those within this window ask whether
// they were sent before with one query.
const LOOKUP_WINDOW_MS = 5;

/**
 * The notifier worker: a competing consumer of the shopper-notification queue. Each notification is sent
 * once and recorded in `notifications` (its id is the event's); a failed send comes back after
 * NOTIFIER_RETRY_DELAY_MS, and after NOTIFIER_MAX_ATTEMPTS it goes to the dead letters.
 */
export function startNotifier(
  ctx: ServiceContext<Database>,
  queue: WorkQueues<ShopperNotification>,
  notifier: Notifier,
) {
  const queueName = queue.queueOf(SHOPPER_NOTIFICATIONS);
  const record = gatherWithin(RECORD_WINDOW_MS, (rows: Insertable<NotificationsTable>[]) =>
    ctx.db
      .insertInto("notifications")
      .values(rows)
      .onConflict((oc) => oc.column("message_id").doNothing())
      .execute(),
  );
  const alreadySent = gatherWithin(LOOKUP_WINDOW_MS, async (messageIds: string[]) => {
    const rows = await ctx.db
      .selectFrom("notifications")
      .select("message_id")
      .where("message_id", "in", messageIds)
      .execute();
    return new Set(rows.map((row) => row.message_id));
  });
  return queue.consume(SHOPPER_NOTIFICATIONS, { prefetch: PREFETCH }, (item) =>
    // Sent in the trace of the order event that asked for it (the item's AMQP trace headers).
    withWorkItemSpan({ kind: "ShopperNotification", item, queue: queueName, service: ctx.name }, () =>
      send(item),
    ),
  );

  async function send(item: Delivery<ShopperNotification>) {
    const notification = item.body;
    if ((await alreadySent(notification.notificationId)).has(notification.notificationId)) return item.ack();
    try {
      await notifier.send(notification);
    } catch (error) {
      const last = item.attempt >= ctx.config.NOTIFIER_MAX_ATTEMPTS;
      ctx.logger.warn(
        { err: error, attempt: item.attempt, orderId: notification.orderId },
        "notification failed",
      );
      return last ? item.deadLetter() : item.retryLater();
    }
    await record({
      message_id: notification.notificationId,
      order_id: notification.orderId,
      user_id: notification.userId,
      kind: notification.kind,
      body: notification.body,
      attempts: item.attempt,
    });
    await item.ack();
  }
}
