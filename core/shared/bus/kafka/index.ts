import { Consumer, ProduceAcks, Producer } from "@platformatic/kafka";
import type {
  Bus,
  IncomingRecord,
  OutgoingRecord,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from "../index";
import { createAdmin } from "./admin";
import { clientOptions, compactError, type KafkaBusOptions, strings } from "./connection";
import { superviseConsumer } from "./consumer";
import { createLagReader } from "./lag";
import { incoming } from "./partition-lanes";
import { createStartupTracker } from "./startup";
import { awaitTopicsServed } from "./topics";

export type { KafkaBusOptions } from "./connection";

const READ_TOPIC_WITHIN_MS = 30_000;

/**
 * The Bus over @platformatic/kafka: an idempotent producer (acks from all in-sync replicas), consumer groups
 * (static members when the bus has an `instanceId`) and the admin API for topics, lag and readiness.
 */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const admin = createAdmin(options, "admin", { timeout: 10_000, retries: 5 });
  // The health probe must answer fast when the broker is gone: its own client, short deadline, no retries.
  const probe = createAdmin(options, "probe", { timeout: 1_000, retries: 0 });
  let probeTopic: string | undefined;
  let producer: Producer<string, string, string, string> | undefined;
  const subscriptions = new Set<Subscription>();
  const lag = createLagReader(options);
  const startup = createStartupTracker(lag);

  const getProducer = () => {
    producer ??= new Producer({
      ...clientOptions(options, "producer"),
      ...strings,
      idempotent: true,
      acks: ProduceAcks.ALL,
      // A broker that takes the connection but never answers fails the send (the relay retries) in 10 s, not 30.
      requestTimeout: 10_000,
      autocreateTopics: false,
    });
    return producer;
  };

  // A failed send can leave an idempotent producer with a sequence number or producer id the broker no longer
  // accepts (after a broker restart): the next publish starts afresh. Safe for ordering, since the relay
  // resends a failed batch from its oldest row.
  const discardProducer = (broken: Producer<string, string, string, string>) => {
    if (producer !== broken) return;
    producer = undefined;
    broken.close(true).catch(() => {});
  };

  return {
    async ensureTopics(topics: TopicSpec[]) {
      probeTopic ??= topics[0]?.name;
      await admin.createTopics(topics);
      await awaitTopicsServed(admin, topics);
    },

    async publish(records: OutgoingRecord[]) {
      if (records.length === 0) return;
      const ready = getProducer();
      await ready.send({ messages: records }).catch((error: unknown) => {
        discardProducer(ready);
        throw compactError("publish", error);
      });
    },

    async subscribe(subscribe: SubscribeOptions) {
      lag.track(subscribe.groupId, subscribe.topics);
      if (subscribe.gatesReadiness ?? true)
        startup.subscribing(subscribe.groupId, subscribe.topics, subscribe.fromBeginning ?? true);
      const subscription = await superviseConsumer(options, subscribe, {
        onJoin: () => startup.joined(subscribe.groupId),
        onStop: () => {
          startup.stopped(subscribe.groupId);
          subscriptions.delete(subscription);
        },
      }).catch((error: unknown) => {
        startup.stopped(subscribe.groupId);
        throw error;
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async readTopic(topic: string) {
      const [ends = []] = (await admin.watermarks([topic])).values();
      const remaining = new Map(
        ends.filter((end) => end.high > end.low).map((end) => [end.partition, end.high - 1n]),
      );
      if (remaining.size === 0) return [];
      // A throwaway group that never commits: reading must not move anyone's offsets.
      const reader = new Consumer({
        ...clientOptions(options, "reader"),
        ...strings,
        groupId: `${options.clientId}-reader-${crypto.randomUUID()}`,
        maxWaitTime: 500,
      });
      const records: IncomingRecord[] = [];
      const { promise: done, resolve, reject } = Promise.withResolvers<void>();
      // A partial read must not pass for the whole topic.
      reader.on("error", reject);
      try {
        const stream = await reader.consume({ topics: [topic], mode: "earliest", autocommit: false });
        stream.on("error", reject);
        stream.on("data", (record) => {
          const last = remaining.get(record.partition);
          if (last === undefined || record.offset > last) return;
          records.push(incoming(record));
          if (record.offset === last) remaining.delete(record.partition);
          if (remaining.size === 0) resolve();
        });
        const timeout = setTimeout(resolve, READ_TOPIC_WITHIN_MS);
        await done;
        clearTimeout(timeout);
      } finally {
        await reader.close(true).catch(() => {});
      }
      return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    },

    consumerLag: () => lag.read(),
    consumerStartup: () => startup.states(),

    async groupIsDown(groupId: string) {
      try {
        const group = (await probe.call((client) => client.describeGroups({ groups: [groupId] }))).get(
          groupId,
        );
        // "Dead" is a group the broker does not know; rebalancing or "Empty", one whose members are gone.
        if (!group || group.state === "Dead" || group.state === "DEAD") return false;
        return group.members.size === 0 || (group.state !== "Stable" && group.state !== "STABLE");
      } catch {
        return null;
      }
    },

    async isHealthy() {
      try {
        // A metadata request for one topic proves the broker answers; describing the whole cluster costs
        // seconds once a broker holds thousands of topics.
        await probe.call((client) =>
          client.metadata({ topics: probeTopic ? [probeTopic] : [], forceUpdate: true }),
        );
        return true;
      } catch {
        return false;
      }
    },

    async disconnect() {
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      await producer?.close().catch(() => {});
      producer = undefined;
      await Promise.all([admin.close(), probe.close(), lag.close()]);
    },
  };
}

/** Deletes existing topics (test clean-up on a shared broker; production topics are never deleted by code). */
export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = createAdmin({ brokers, clientId: "cleanup" }, "admin", { timeout: 10_000, retries: 3 });
  try {
    await admin.call((client) => client.deleteTopics({ topics }));
  } finally {
    await admin.close();
  }
}
