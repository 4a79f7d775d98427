import { setTimeout as sleep } from "node:timers/promises";
import { Consumer, type MessagesStream } from "@platformatic/kafka";
import type { SubscribeOptions, Subscription } from "../index";
import { clientOptions, type KafkaBusOptions, strings } from "./connection";
import { createPartitionLanes } from "./partition-lanes";

const FIRST_START_MS = 15_000;
const RESTART_DELAY_MS = { first: 300, max: 2_000 };
// Handled offsets go to the broker at most twice a second (and on stop) instead of one OffsetCommit per
// chunk: a crash redelivers at most that much, which the inbox absorbs.
const COMMIT_INTERVAL_MS = 500;
// Records fetched ahead of the handlers, across partitions, before fetching pauses.
const QUEUED_HIGH_WATER = 2_000;
// A partition newly assigned waits this long before its first chunk, so its previous owner (which the client
// does not wait for before rejoining) can finish the chunk it was applying: a chunk takes tens of ms, and every
// service's first records after a start or a hand-over pay the wait (1 s made a restarted payment miss the
// order's 2 s grace in the participant-down test).
const HAND_OVER_MS = 250;
// What a gathering group's fetch waits for unless its window ends first: far more than a window holds.
const GATHER_MIN_BYTES = 1_048_576;

type StringConsumer = Consumer<string, string, string, string>;

const delayOf = (attempt: number) =>
  Math.min(RESTART_DELAY_MS.first * 2 ** Math.min(attempt - 1, 8), RESTART_DELAY_MS.max);

/**
 * A consumer group member over @platformatic/kafka that survives broker restarts: the client's stream
 * fetches, the partition lanes hand records to the handler with the bus's guarantees (per-partition order,
 * commit only after the handler, a rejected chunk handed over again), and when the stream fails (the broker
 * went away) a fresh consumer rejoins with backoff and resumes from the committed offsets, until stop().
 * With the bus's `instanceId` the member is static: its restart takes its partitions straight back.
 */
export async function superviseConsumer(
  bus: KafkaBusOptions,
  subscribe: SubscribeOptions,
  events: { onJoin: () => void; onStop: () => void },
): Promise<Subscription> {
  const stopping = new AbortController();
  let consumer: StringConsumer | undefined;
  let stream: MessagesStream<string, string, string, string> | undefined;
  let restarting: Promise<void> | undefined;
  let committing: Promise<void> | undefined;

  const { handleBatch, handle } = subscribe;
  const lanes = createPartitionLanes({
    handle: handleBatch ?? ((records) => handle(records[0] as (typeof records)[0])),
    maxBatchSize: handleBatch ? (subscribe.maxBatchSize ?? 100) : 1,
    concurrency: subscribe.partitionsConsumedConcurrently ?? 1,
    highWater: QUEUED_HIGH_WATER,
    pause: () => stream?.pause(),
    resume: () => stream?.resume(),
    sleep: (ms) => sleep(ms, undefined, { signal: stopping.signal }),
    retryDelayMs: delayOf,
    handOverMs: HAND_OVER_MS,
  });

  const commitHandled = () => {
    committing ??= (async () => {
      // Between a failed consumer and its replacement the offsets wait (taken now they would be lost).
      if (!consumer) return;
      const offsets = lanes.takeCommits();
      if (offsets.length === 0) return;
      // A failed commit (mid-rebalance, broker away) is tried again with the next round; offsets of a
      // partition this member lost meanwhile are dropped by the lanes.
      await consumer.commit({ offsets }).catch(() => lanes.restoreCommits(offsets));
    })().finally(() => {
      committing = undefined;
    });
    return committing;
  };
  const commitTimer = setInterval(commitHandled, COMMIT_INTERVAL_MS);

  const sessionTimeout = subscribe.sessionTimeoutMs ?? 6_000;
  const startOnce = async () => {
    const created: StringConsumer = new Consumer({
      ...clientOptions(bus, "consumer"),
      ...strings,
      groupId: subscribe.groupId,
      ...(bus.instanceId ? { groupInstanceId: `${bus.instanceId}:${subscribe.groupId}` } : {}),
      // The broker's minimum (group.min.session.timeout.ms): a member that died hands its partitions over in
      // 6 s; heartbeats every 2 s (a third of it).
      sessionTimeout,
      // How long a rebalance waits for the members to rejoin. The client rejoins without waiting for our
      // handlers: the lanes' hand-over wait keeps a partition from being applied by two members at once.
      rebalanceTimeout: Math.max(sessionTimeout, 10_000),
      heartbeatInterval: 2_000,
      // An idle fetch long-polls this long and close() waits for it: keep shutdown quick.
      maxWaitTime: subscribe.gatherMs ?? 500,
      ...(subscribe.gatherMs ? { minBytes: GATHER_MIN_BYTES } : {}),
    });
    created.on("consumer:group:join", ({ assignments }) => {
      lanes.assigned(assignments ?? []);
      events.onJoin();
    });
    // The client reports a rejoin it could not complete (the coordinator away too long) as an 'error' event,
    // which would end the process if nobody listened: start afresh instead.
    created.on("error", () => {
      if (consumer === created) restart();
    });
    try {
      const started = await created.consume({
        topics: subscribe.topics,
        mode: "committed",
        fallbackMode: (subscribe.fromBeginning ?? true) ? "earliest" : "latest",
        autocommit: false,
      });
      consumer = created;
      stream = started;
      if (lanes.paused) started.pause();
      started.on("data", lanes.push);
      started.once("error", () => {
        if (stream === started) restart();
      });
    } catch (error) {
      await created.close(true).catch(() => {});
      throw error;
    }
  };

  /** Starts a consumer, retrying with backoff; gives up only when stopped or past `deadline`. */
  const startWithRetries = async (deadline = Number.POSITIVE_INFINITY) => {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      try {
        return await startOnce();
      } catch (error) {
        if (Date.now() + delayOf(attempt) > deadline) throw error;
      }
      await sleep(delayOf(attempt), undefined, { signal: stopping.signal }).catch(() => {});
    }
  };

  const restart = () => {
    const broken = consumer;
    consumer = undefined;
    stream = undefined;
    // The next consumer is a new member: every partition it gets starts from the committed offset with a fresh
    // lane (what this one held, handled or not, is handled again or skipped by the inbox).
    lanes.assigned([]);
    restarting ??= (async () => {
      await broken?.close(true).catch(() => {});
      await startWithRetries();
    })().finally(() => {
      restarting = undefined;
    });
  };

  // At start-up a topic just created may not be served yet by every broker: retry briefly, then fail.
  try {
    await startWithRetries(Date.now() + FIRST_START_MS);
  } catch (error) {
    stopping.abort();
    clearInterval(commitTimer);
    throw error;
  }
  return {
    async stop() {
      if (stopping.signal.aborted) return;
      events.onStop();
      stopping.abort();
      await restarting;
      stream?.pause();
      await lanes.drain();
      clearInterval(commitTimer);
      await committing;
      await commitHandled();
      await consumer?.close(true).catch(() => {});
    },
  };
}
