import { withPrefix } from "@qc/contracts";
import type { Kysely } from "kysely";
import { startConsumer } from "../shared/consumer/runner";
import { purgerMode } from "../shared/edge-purge";
import type { ServiceContext, Stoppable } from "../shared/runtime/context";
import { every } from "../shared/runtime/every";
import { deliveryProgressHandler, orderPackedHandler } from "./consumers/delivery-progress";
import { startLiveTracking } from "./consumers/live-tracking";
import { replyTypes, sagaReplyHandler } from "./consumers/saga-replies";
import { extendDeadlines, lockAggregates } from "./db/aggregate-repository";
import { pruneExpiredKeys } from "./db/idempotency-repository";
import type { Database } from "./db/schema";
import { STEP_DEFINITIONS } from "./domain/saga";
import { type ParticipantDown, sweepOverdueSagas } from "./use-cases/deadline-sweeper";
import { deadlinesMayFire } from "./use-cases/outage-guard";
import { sagaSettings } from "./use-cases/settings";
import { shareStatusChanges } from "./use-cases/status-changes";

const hourMs = 60 * 60 * 1000;

/**
 * The saga's reply consumer (with the delivery choreography), its deadline sweeper, the key pruner and, where
 * there is an edge to tell (not in tests without one), the live-tracking pushes.
 */
export async function background(ctx: ServiceContext<Database>): Promise<Stoppable[]> {
  const settings = sagaSettings(ctx.config);
  const onReply = sagaReplyHandler(settings, ctx.logger);
  const replies = await startConsumer(
    {
      groupId: "order-saga",
      topics: ["inventory.replies.v1", "payment.replies.v1", "delivery.replies.v1", "delivery.events.v1"],
      handlers: {
        ...Object.fromEntries(replyTypes.map((type) => [type, onReply])),
        DeliveryStatusChanged: deliveryProgressHandler(settings),
        OrderPacked: orderPackedHandler(settings),
      },
      retry: { attempts: 5, initialDelayMs: 200 },
      concurrency: 6,
      effectsInTransaction: true,
      // Every handler here steps one order, named by the message: a batch locks its orders in one statement.
      beforeApply: (trx, messages) =>
        lockAggregates(
          trx as Kysely<Database>,
          messages.map((message) => (message.data as { orderId: string }).orderId),
        ),
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
  const mayFire = deadlinesMayFire(ctx.bus, ctx.logger, () =>
    extendDeadlines(ctx.db, ctx.config.ORDER_OUTAGE_GRACE_MS),
  );
  const sweepSettings = { ...settings, outageGraceMs: ctx.config.ORDER_OUTAGE_GRACE_MS };
  const sweep = async () => {
    if (!(await mayFire())) return;
    // Asked once per sweep and participant, however many sagas wait on it.
    const asked = new Map<string, Promise<boolean>>();
    const participantDown: ParticipantDown = (step) => {
      const group = withPrefix(ctx.config.TOPIC_PREFIX, STEP_DEFINITIONS[step].participant);
      const known = asked.get(group) ?? ctx.bus.groupIsDown(group).then((down) => down === true);
      asked.set(group, known);
      return known;
    };
    await sweepOverdueSagas(ctx.db, sweepSettings, participantDown);
  };
  const sweeper = every(ctx.config.ORDER_SWEEP_INTERVAL_MS, sweep, ctx.logger, "deadline sweep");
  const pruner = every(hourMs, () => pruneExpiredKeys(ctx.db), ctx.logger, "idempotency key pruning");
  const statusChanges = await shareStatusChanges(ctx.redis, ctx.config.REDIS_URL, ctx.logger);
  const live = purgerMode(ctx.config) === "off" ? [] : [await startLiveTracking(ctx)];
  return [replies, sweeper, pruner, statusChanges, ...live];
}
