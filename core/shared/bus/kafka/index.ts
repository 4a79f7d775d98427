import "./quiet-warnings";
import { type Admin, Kafka, logLevel, type Producer } from "kafkajs";
import type {
  Bus,
  IncomingRecord,
  OutgoingRecord,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from "../index";
import { incoming, superviseConsumer } from "./consumer";
import { createLagReader } from "./lag";
import { createStartupTracker } from "./startup";
import { awaitTopicsServed } from "./topics";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
}

/** The Bus over kafkajs: an idempotent producer (acks from all in-sync replicas) and consumer groups. */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    // kafkajs' default backoff grows to 30 s: after a broker restart a send or reconnect could sleep that
    // long although the broker was back; capped, everything resumes within ~2 s of the broker answering.
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 2_000 },
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

  const probeConnected = async () => {
    if (!probeAdmin) {
      const created = probe.admin();
      await created.connect();
      probeAdmin = created;
    }
    return probeAdmin;
  };
  const lag = createLagReader(options);
  const startup = createStartupTracker(lag);

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

  // A failed send can leave kafkajs' idempotent producer with a sequence number or producer id the broker
  // no longer accepts (after a broker restart every later send failed): the next publish starts afresh.
  // Safe for ordering, since the relay resends a failed batch from its oldest row.
  const discardProducer = (broken: Producer) => {
    if (producer !== broken) return;
    producer = undefined;
    producerReady = undefined;
    broken.disconnect().catch(() => {});
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
        // kafkajs skips its wait for leaders when some topics existed, and even after it a new topic can
        // answer UNKNOWN_TOPIC_OR_PARTITION for a moment: wait until every partition has a leader.
        await awaitTopicsServed(admin, topics);
      } finally {
        await admin.disconnect();
      }
    },

    async publish(records: OutgoingRecord[]) {
      if (records.length === 0) return;
      const byTopic = new Map<string, OutgoingRecord[]>();
      for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
      const ready = await getProducer();
      await ready
        .sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, batch]) => ({
            topic,
            messages: batch.map((record) => ({
              key: record.key,
              value: record.value,
              headers: record.headers,
            })),
          })),
        })
        .catch((error: unknown) => {
          discardProducer(ready);
          throw error;
        });
    },

    async subscribe(subscribe: SubscribeOptions) {
      lag.track(subscribe.groupId, subscribe.topics);
      if (subscribe.gatesReadiness ?? true)
        startup.subscribing(subscribe.groupId, subscribe.topics, subscribe.fromBeginning ?? true);
      const subscription = await superviseConsumer(kafka, subscribe, {
        onJoin: () => startup.joined(subscribe.groupId),
        onStop: () => {
          startup.stopped(subscribe.groupId);
          subscriptions.delete(subscription);
        },
      });
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

    consumerLag: () => lag.read(),
    consumerStartup: () => startup.states(),

    async groupIsDown(groupId: string) {
      try {
        const admin = await probeConnected();
        const [group] = (await admin.describeGroups([groupId])).groups;
        // "Dead" is a group the broker does not know; rebalancing or "Empty", one whose members are gone.
        if (!group || group.state === "Dead") return false;
        return group.members.length === 0 || group.state !== "Stable";
      } catch {
        return null;
      }
    },

    async isHealthy() {
      try {
        const probeAdmin = await probeConnected();
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
      await lag.close();
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
