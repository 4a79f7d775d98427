import { BACKGROUND_GATHER_MS } from "../../shared/bus";
import { startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { edgeLiveClient } from "../clients/edge-live";
import type { Database } from "../db/schema";
import { liveTrackingHandler } from "../use-cases/live-tracking";

/** The events that change what a shopper following an order sees: the order's own, and where its rider is. */
const CHANGES = [
  "OrderConfirmed",
  "OrderRejected",
  "OrderCancelled",
  "OrderStatusChanged",
  "RiderPositionChanged",
] as const;

/** Pushes the changes of followed orders and their riders' positions to the edge, which fans them out. */
export function startLiveTracking(ctx: ServiceContext<Database>): Promise<Stoppable> {
  const handler = liveTrackingHandler(ctx.db, ctx.redis, ctx.config, edgeLiveClient(ctx.config));
  return startConsumer(
    {
      groupId: "order-live",
      topics: ["order.events.v1", "delivery.events.v1"],
      handlers: Object.fromEntries(CHANGES.map((type) => [type, handler])),
      // Pushes wait for the edge while it is away; checkout must not wait for them to be ready.
      gatesReadiness: false,
      // A follower sees a change at most this much later (a rider's position comes every second anyway);
      // under load one fetch carries every order's changes of the window.
      gatherMs: BACKGROUND_GATHER_MS,
      // A push is kept once by the edge (by its id), and positions come every second per rider: no inbox row
      // per message, and a new deployment does not replay what was pushed before it.
      live: true,
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
