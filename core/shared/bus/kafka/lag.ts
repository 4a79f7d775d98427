import { type Admin, Kafka, logLevel } from "kafkajs";
import type { ConsumerLag } from "../index";

/** Where a group stands on one partition: its next offset to read, and the partition's high watermark. */
export interface GroupPosition {
  topic: string;
  partition: number;
  /** The committed offset, or the low watermark when the group never committed (all that is left is unread). */
  next: bigint;
  high: bigint;
}

export interface LagReader {
  /** Remembers a group and its topics; their lag is read until the bus disconnects, stopped or not. */
  track(groupId: string, topics: string[]): void;
  /** Per partition of every tracked group: high watermark minus committed offset. */
  read(): Promise<ConsumerLag[]>;
  /** One group's position on every partition of its topics. */
  positions(groupId: string, topics: string[]): Promise<GroupPosition[]>;
  /** Each partition's high watermark now, keyed `topic:partition`. */
  highWatermarks(topics: string[]): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

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

  const positionsOf = async (client: Admin, groupId: string, topics: string[]): Promise<GroupPosition[]> => {
    const [committed, ends] = await Promise.all([
      client.fetchOffsets({ groupId, topics }),
      Promise.all(
        topics.map(async (topic) => ({ topic, partitions: await client.fetchTopicOffsets(topic) })),
      ),
    ]);
    const committedAt = new Map(
      committed.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => [partitionKey(topic, partition), BigInt(offset)] as const),
      ),
    );
    return ends.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, high, low }) => {
        // Never committed, or committed below what retention kept: the group reads from the low watermark.
        const offset = committedAt.get(partitionKey(topic, partition)) ?? -1n;
        return { topic, partition, next: offset < BigInt(low) ? BigInt(low) : offset, high: BigInt(high) };
      }),
    );
  };

  /** Runs one admin round; a broken connection (broker restart) is rebuilt on the next round. */
  const withAdmin = async <T>(work: (client: Admin) => Promise<T>): Promise<T> => {
    try {
      return await work(await connected());
    } catch (error) {
      const broken = admin;
      admin = undefined;
      await broken?.disconnect().catch(() => {});
      throw error;
    }
  };

  return {
    track(groupId, topics) {
      const known = groups.get(groupId) ?? new Set<string>();
      for (const topic of topics) known.add(topic);
      groups.set(groupId, known);
    },
    async read() {
      if (groups.size === 0) return [];
      const perGroup = await withAdmin((client) =>
        Promise.all(
          [...groups].map(async ([groupId, topics]) =>
            (await positionsOf(client, groupId, [...topics])).map(({ topic, partition, next, high }) => ({
              group: groupId,
              topic,
              partition,
              lag: Number(high > next ? high - next : 0n),
            })),
          ),
        ),
      );
      return perGroup.flat();
    },
    positions: (groupId, topics) => withAdmin((client) => positionsOf(client, groupId, topics)),
    highWatermarks: (topics) =>
      withAdmin(async (client) => {
        const ends = await Promise.all(
          topics.map(async (topic) => ({ topic, partitions: await client.fetchTopicOffsets(topic) })),
        );
        return new Map(
          ends.flatMap(({ topic, partitions }) =>
            partitions.map(({ partition, high }) => [partitionKey(topic, partition), BigInt(high)] as const),
          ),
        );
      }),
    async close() {
      groups.clear();
      await admin?.disconnect().catch(() => {});
      admin = undefined;
    },
  };
}
