import { liveEventOf } from "@qc/contracts";
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
 * On each change of an order that someone follows, pushes the order as it stands now to the edge (outside the
 * consumer's transaction: it is a call out). The view may already be newer than the message; the edge keeps
 * changes by their instant, so a push is shown once and never goes back in time.
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
    if (view) await push(orderId, [liveEventOf(view)]);
  },
  async apply() {},
});
