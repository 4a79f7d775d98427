import {
  liveEventOf,
  type MessageOf,
  type OrderLiveEvent,
  type OrderStatus,
  type OrderView,
} from "@qc/contracts";
import type { RedisClient } from "bun";
import type { Kysely } from "kysely";
import { redisKey } from "../../shared/cache/namespace";
import type { Config } from "../../shared/config";
import type { PreparedHandler } from "../../shared/consumer/runner";
import type { PushLive } from "../clients/edge-live";
import { findView } from "../db/order-views";
import type { Database } from "../db/schema";

/** How long an order stays followed after a viewer last opened its stream (an order takes minutes). */
const WATCH_SECONDS = 2 * 60 * 60;
/**
 * Where the rider is, shown only once they carry this order: before pick-up they may still be at the previous
 * shopper's door, which is not this shopper's to see.
 */
const SHOWS_RIDER: readonly OrderStatus[] = ["PICKED_UP", "OUT_FOR_DELIVERY"];
const watchKey = (config: Pick<Config, "TOPIC_PREFIX">, orderId: string) =>
  redisKey(config, "order-live", orderId);

/** Someone follows the order live: push its changes to the edge from now on. */
export async function watchOrder(
  redis: RedisClient,
  config: Pick<Config, "TOPIC_PREFIX">,
  orderId: string,
): Promise<void> {
  await redis.send("SET", [watchKey(config, orderId), "1", "EX", String(WATCH_SECONDS)]);
}

/**
 * The rider's position as a live event of the order: the order as it stands, with where the rider is and the
 * ETA that gives. Its id is the instant delivery recorded the position (not the rider app's clock, which may be
 * ahead and would make a viewer resuming after it skip status changes).
 */
function positionEventOf(view: OrderView, message: MessageOf<"RiderPositionChanged">): OrderLiveEvent {
  return {
    ...liveEventOf(view),
    id: Date.parse(message.occurredAt),
    at: message.occurredAt,
    etaMinutes: message.data.etaMinutes,
    rider: message.data.position,
  };
}

/**
 * On each change of an order that someone follows, pushes the order as it stands now to the edge (outside the
 * consumer's transaction: it is a call out). The view may already be newer than the message; the edge keeps
 * changes by their instant, so a push is shown once and never goes back in time. A rider's position is pushed
 * as its own event while the rider carries the order.
 */
export const liveTrackingHandler = (
  db: Kysely<Database>,
  redis: RedisClient,
  config: Pick<Config, "TOPIC_PREFIX">,
  push: PushLive,
): PreparedHandler<void> => ({
  async prepare(message) {
    const orderId = (message.data as { orderId: string }).orderId;
    if (!(await redis.exists(watchKey(config, orderId)))) return;
    const view = await findView(db, orderId);
    if (!view) return;
    if (message.type !== "RiderPositionChanged") await push(orderId, [liveEventOf(view)]);
    else if (SHOWS_RIDER.includes(view.status)) await push(orderId, [positionEventOf(view, message)]);
  },
  async apply() {},
});
