import { type Admin, Kafka, logLevel } from "kafkajs";
import type { ConsumerLag } from "../index";

export interface LagReader {
  /** Remembers a group and its topics; their lag is read until the bus disconnects, stopped or not. */
  track(groupId: string, topics: string[]): void;
  /** Per partition of every tracked group: high watermark minus committed offset. */
  read(): Promise<ConsumerLag[]>;
  close(): Promise<void>;
}

/**
 * Reads consumer lag with the admin API: the group's committed offsets (`fetchOffsets`) against each
 * partition's high watermark (`fetchTopicOffsets`). A partition the group never committed counts from its
 * low watermark (every record still there is unread). A group stays tracked after its subscription stops:
 * a stopped or crashed consumer is exactly when its lag matters.
 */
export function createLagReader(options: { brokers: string[]; clientId: string }): LagReader {
  // Its own client with short deadlines and few retries: a round while the broker is down fails within
  // seconds (the sampler tries again next round), so it never holds up a service's shutdown for long.
  const kafka = new Kafka({
    clientId: `${options.clientId}-lag`,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { initialRetryTime: 200, retries: 2, maxRetryTime: 1_000 },
  });
  const groups = new Map<string, Set<string>>();
  let admin: Admin | undefined;

  const connected = async () => {
    if (!admin) {
      const created = kafka.admin();
      await created.connect();
      admin = created;
    }
    return admin;
  };

  const readGroup = async (client: Admin, groupId: string, topics: string[]): Promise<ConsumerLag[]> => {
    const [committed, ends] = await Promise.all([
      client.fetchOffsets({ groupId, topics }),
      Promise.all(
        topics.map(async (topic) => ({ topic, partitions: await client.fetchTopicOffsets(topic) })),
      ),
    ]);
    const committedAt = new Map(
      committed.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => [`${topic}:${partition}`, BigInt(offset)] as const),
      ),
    );
    return ends.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, high, low }) => {
        const offset = committedAt.get(`${topic}:${partition}`) ?? -1n;
        const from = offset < 0n ? BigInt(low) : offset;
        const lag = BigInt(high) - from;
        return { group: groupId, topic, partition, lag: Number(lag > 0n ? lag : 0n) };
      }),
    );
  };

  return {
    track(groupId, topics) {
      const known = groups.get(groupId) ?? new Set<string>();
      for (const topic of topics) known.add(topic);
      groups.set(groupId, known);
    },
    async read() {
      if (groups.size === 0) return [];
      try {
        const client = await connected();
        const perGroup = await Promise.all(
          [...groups].map(([groupId, topics]) => readGroup(client, groupId, [...topics])),
        );
        return perGroup.flat();
      } catch (error) {
        // A broken connection (broker restart) is rebuilt on the next read.
        const broken = admin;
        admin = undefined;
        await broken?.disconnect().catch(() => {});
        throw error;
      }
    },
    async close() {
      groups.clear();
      await admin?.disconnect().catch(() => {});
      admin = undefined;
    },
  };
}
