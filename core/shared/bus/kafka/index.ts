import { type Admin, Kafka, type KafkaMessage, logLevel, type Producer } from "kafkajs";
import type {
  Bus,
  IncomingRecord,
  OutgoingRecord,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from "../index";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
}

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

const incoming = (topic: string, partition: number, message: KafkaMessage): IncomingRecord => ({
  topic,
  partition,
  offset: message.offset,
  key: message.key?.toString() ?? null,
  value: message.value?.toString() ?? null,
  headers: headerText(message.headers),
});

/** The Bus over kafkajs: an idempotent producer (acks from all in-sync replicas) and consumer groups. */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 200, retries: 8 },
  });
  // The health probe must answer fast when the broker is gone, so it has its own client without retries.
  const probe = new Kafka({
    clientId: `${options.clientId}-probe`,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 1_000,
    retry: { retries: 0 },
  });

  let producer: Producer | undefined;
  let producerReady: Promise<Producer> | undefined;
  let probeAdmin: Admin | undefined;
  let probeTopic: string | undefined;
  const subscriptions = new Set<Subscription>();

  const getProducer = () => {
    producerReady ??= (async () => {
      const created = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await created.connect();
      producer = created;
      return created;
    })().catch((error) => {
      producerReady = undefined;
      throw error;
    });
    return producerReady;
  };

  return {
    async ensureTopics(topics: TopicSpec[]) {
      probeTopic ??= topics[0]?.name;
      const admin = kafka.admin();
      await admin.connect();
      try {
        // Create, don't list first: listing every topic fails while any topic on the broker is being
        // deleted, and creating an existing topic is a no-op (kafkajs answers false).
        await admin.createTopics({
          waitForLeaders: true,
          topics: topics.map((topic) => ({
            topic: topic.name,
            numPartitions: topic.partitions,
            replicationFactor: 1,
            configEntries:
              topic.retentionMs === undefined
                ? []
                : [{ name: "retention.ms", value: String(topic.retentionMs) }],
          })),
        });
        // When some already existed kafkajs skips its wait for leaders: this waits (and retries) instead.
        await admin.fetchTopicMetadata({ topics: topics.map((topic) => topic.name) });
      } finally {
        await admin.disconnect();
      }
    },

    async publish(records: OutgoingRecord[]) {
      if (records.length === 0) return;
      const byTopic = new Map<string, OutgoingRecord[]>();
      for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
      const ready = await getProducer();
      await ready.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, batch]) => ({
          topic,
          messages: batch.map((record) => ({
            key: record.key,
            value: record.value,
            headers: record.headers,
          })),
        })),
      });
    },

    async subscribe(subscribe: SubscribeOptions) {
      const consumer = kafka.consumer({
        groupId: subscribe.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: subscribe.sessionTimeoutMs ?? 10_000,
        // An idle fetch long-polls this long and stop() waits for it: keep shutdown quick.
        maxWaitTimeInMs: 1_000,
        heartbeatInterval: 1_000,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5_000 },
      });
      await consumer.connect();
      await consumer.subscribe({ topics: subscribe.topics, fromBeginning: subscribe.fromBeginning ?? true });
      // kafkajs resolves a message's offset only after eachMessage returns, and commits resolved offsets
      // at the end of each fetched batch, before a rebalance and on stop (which first waits for the
      // in-flight message). A rejected handler leaves its offset unresolved: the partition is re-fetched
      // from the last commit. So an offset is never committed ahead of the handler's own commit.
      const { handleBatch } = subscribe;
      const maxBatchSize = subscribe.maxBatchSize ?? 100;
      await consumer.run({
        autoCommit: true,
        partitionsConsumedConcurrently: subscribe.partitionsConsumedConcurrently ?? 1,
        ...(handleBatch
          ? {
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
            }
          : {
              eachMessage: ({ topic, partition, message }) =>
                subscribe.handle(incoming(topic, partition, message)),
            }),
      });
      const subscription: Subscription = {
        async stop() {
          subscriptions.delete(subscription);
          await consumer.disconnect();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async readTopic(topic: string) {
      const admin = kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
      const remaining = new Map(
        ends.filter((end) => end.high !== end.low).map((end) => [end.partition, BigInt(end.high) - 1n]),
      );
      if (remaining.size === 0) return [];
      // A throwaway group that never commits: reading must not move anyone's offsets.
      const groupId = `${options.clientId}-reader-${crypto.randomUUID()}`;
      const reader = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      const records: IncomingRecord[] = [];
      const { promise: done, resolve } = Promise.withResolvers<void>();
      await reader.connect();
      try {
        await reader.subscribe({ topics: [topic], fromBeginning: true });
        await reader.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const last = remaining.get(partition);
            if (last === undefined || BigInt(message.offset) > last) return;
            records.push(incoming(topic, partition, message));
            if (BigInt(message.offset) === last) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        });
        const timeout = setTimeout(resolve, 30_000);
        await done;
        clearTimeout(timeout);
      } finally {
        await reader.disconnect();
      }
      return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    },

    async isHealthy() {
      try {
        if (!probeAdmin) {
          probeAdmin = probe.admin();
          await probeAdmin.connect();
        }
        // A metadata request for one topic proves the broker answers; describing the whole cluster costs
        // seconds once a broker holds thousands of topics.
        if (probeTopic) await probeAdmin.fetchTopicMetadata({ topics: [probeTopic] });
        else await probeAdmin.describeCluster();
        return true;
      } catch {
        const broken = probeAdmin;
        probeAdmin = undefined;
        await broken?.disconnect().catch(() => {});
        return false;
      }
    },

    async disconnect() {
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      await producer?.disconnect();
      await probeAdmin?.disconnect().catch(() => {});
    },
  };
}

/** Deletes existing topics (test clean-up on a shared broker; production topics are never deleted by code). */
export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
