import { type Admin, Kafka, logLevel, type Producer } from "kafkajs";
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
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((topic) => !existing.has(topic.name));
        if (missing.length === 0) return;
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic: topic.name,
            numPartitions: topic.partitions,
            replicationFactor: 1,
            configEntries:
              topic.retentionMs === undefined
                ? []
                : [{ name: "retention.ms", value: String(topic.retentionMs) }],
          })),
        });
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
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5_000 },
      });
      await consumer.connect();
      await consumer.subscribe({ topics: subscribe.topics, fromBeginning: subscribe.fromBeginning ?? true });
      await consumer.run({
        autoCommit: true,
        autoCommitThreshold: 1,
        partitionsConsumedConcurrently: subscribe.partitionsConsumedConcurrently ?? 1,
        eachMessage: async ({ topic, partition, message }) => {
          const record: IncomingRecord = {
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers: headerText(message.headers),
          };
          await subscribe.handle(record);
        },
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

    async isHealthy() {
      try {
        if (!probeAdmin) {
          probeAdmin = probe.admin();
          await probeAdmin.connect();
        }
        await probeAdmin.describeCluster();
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
