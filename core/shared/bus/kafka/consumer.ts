import type { Consumer, ConsumerRunConfig, Kafka, KafkaMessage } from "kafkajs";
import type { IncomingRecord, SubscribeOptions, Subscription } from "../index";

const headerText = (
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
) => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
};

/** One kafkajs message as our IncomingRecord. */
export const incoming = (topic: string, partition: number, message: KafkaMessage): IncomingRecord => ({
  topic,
  partition,
  offset: message.offset,
  key: message.key?.toString() ?? null,
  value: message.value?.toString() ?? null,
  headers: headerText(message.headers),
});

/** How a subscription's records are handed to its handler, with offsets resolved only after it resolved. */
function runConfig(subscribe: SubscribeOptions): ConsumerRunConfig {
  // kafkajs resolves a message's offset only after eachMessage returns, and commits resolved offsets
  // at the end of each fetched batch, before a rebalance and on stop (which first waits for the
  // in-flight message). A rejected handler leaves its offset unresolved: the partition is re-fetched
  // from the last commit. So an offset is never committed ahead of the handler's own commit.
  const { handleBatch } = subscribe;
  const maxBatchSize = subscribe.maxBatchSize ?? 100;
  const common = {
    autoCommit: true,
    // Resolved offsets go to the broker at most twice a second (and always before a rebalance and on stop)
    // instead of one OffsetCommit per handled batch: a crash redelivers at most that much, which the inbox
    // absorbs, and the broker is spared a request per message.
    autoCommitInterval: 500,
    partitionsConsumedConcurrently: subscribe.partitionsConsumedConcurrently ?? 1,
  };
  if (!handleBatch)
    return {
      ...common,
      eachMessage: ({ topic, partition, message }) => subscribe.handle(incoming(topic, partition, message)),
    };
  return {
    ...common,
    // The same rule by hand: resolve a chunk's last offset only after its handler resolved, and
    // stop between chunks when stopping or when a rebalance took the partition away.
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let i = 0; i < batch.messages.length; i += maxBatchSize) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(i, i + maxBatchSize);
        await handleBatch(chunk.map((message) => incoming(batch.topic, batch.partition, message)));
        const last = chunk.at(-1);
        if (last) resolveOffset(last.offset);
        await heartbeat();
      }
    },
  };
}

const FIRST_START_MS = 15_000;
const RESTART_DELAY_MS = { first: 300, max: 2_000 };

/**
 * A consumer group member that survives broker restarts. kafkajs restarts a crashed consumer itself only
 * for some errors, and when its restart attempt fails (the broker is still down) the rejection is lost and
 * the member stays dead for good: that is why consumers did not resume after a broker restart. So kafkajs'
 * own restart is off, and on every crash this builds a fresh consumer (new connections, rejoins the group,
 * resumes from the committed offsets) and retries that with backoff until it runs or stop() is called.
 */
export async function superviseConsumer(
  kafka: Kafka,
  subscribe: SubscribeOptions,
  events: { onJoin: () => void; onStop: () => void },
): Promise<Subscription> {
  let current: Consumer | undefined;
  let stopped = false;
  let restarting: Promise<void> | undefined;
  // A consumer can crash right after run() resolved, before the restart in flight has finished.
  const crashed = new WeakSet<Consumer>();

  const startOnce = async () => {
    const consumer = kafka.consumer({
      groupId: subscribe.groupId,
      allowAutoTopicCreation: false,
      // The broker's minimum (group.min.session.timeout.ms): a member that died hands its partitions over in
      // 6 s, not 10 (a restarted service or broker is back at work sooner); heartbeats every 2 s (a third of it).
      sessionTimeout: subscribe.sessionTimeoutMs ?? 6_000,
      // An idle fetch long-polls this long and stop() waits for it: keep shutdown quick.
      maxWaitTimeInMs: 1_000,
      heartbeatInterval: 2_000,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 2_000, restartOnFailure: async () => false },
    });
    current = consumer;
    consumer.on(consumer.events.GROUP_JOIN, events.onJoin);
    consumer.on(consumer.events.CRASH, () => {
      crashed.add(consumer);
      if (current === consumer) restart();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: subscribe.topics, fromBeginning: subscribe.fromBeginning ?? true });
      await consumer.run(runConfig(subscribe));
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw error;
    }
  };

  /** Starts a consumer, retrying with backoff; gives up only when stopped or past `deadline`. */
  const startWithRetries = async (deadline = Number.POSITIVE_INFINITY) => {
    let delay = RESTART_DELAY_MS.first;
    while (!stopped) {
      try {
        await startOnce();
        if (!current || !crashed.has(current)) return;
      } catch (error) {
        if (Date.now() + delay > deadline) throw error;
      }
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, RESTART_DELAY_MS.max);
    }
  };

  const restart = () => {
    restarting ??= startWithRetries().finally(() => {
      restarting = undefined;
    });
  };

  // At start-up a topic just created may not be served yet by every broker: retry briefly, then fail.
  await startWithRetries(Date.now() + FIRST_START_MS);
  return {
    async stop() {
      stopped = true;
      events.onStop();
      await restarting;
      await current?.disconnect();
    },
  };
}
