import type { ConsumerLag } from "../index";
import { createAdmin } from "./admin";
import type { KafkaBusOptions } from "./connection";
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
 * Reads consumer lag with the admin API: the group's committed offsets against each partition's high
 * watermark. A partition the group never committed counts from its low watermark (every record still there
 * is unread). A group stays tracked after its subscription stops: a stopped or crashed consumer is exactly
 * when its lag matters.
 */
export function createLagReader(options: KafkaBusOptions): LagReader {
  // Its own client with short deadlines and few retries: a round while the broker is down fails within
  // seconds (the sampler tries again next round), so it never holds up a service's shutdown for long.
  const admin = createAdmin(options, "lag", { timeout: 5_000, retries: 2 });
  const groups = new Map<string, Set<string>>();

  const positions = async (groupId: string, topics: string[]): Promise<GroupPosition[]> => {
    const [committed, ends] = await Promise.all([admin.committed(groupId, topics), admin.watermarks(topics)]);
    return [...ends].flatMap(([topic, partitions]) =>
      partitions.map(({ partition, low, high }) => {
        // Never committed, or committed below what retention kept: the group reads from the low watermark.
        const offset = committed.get(partitionKey(topic, partition)) ?? -1n;
        return { topic, partition, next: offset < low ? low : offset, high };
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
      const perGroup = await Promise.all(
        [...groups].map(async ([groupId, topics]) =>
          (await positions(groupId, [...topics])).map(({ topic, partition, next, high }) => ({
            group: groupId,
            topic,
            partition,
            lag: Number(high > next ? high - next : 0n),
          })),
        ),
      );
      return perGroup.flat();
    },
    positions,
    async highWatermarks(topics) {
      const ends = await admin.watermarks(topics);
      return new Map(
        [...ends].flatMap(([topic, partitions]) =>
          partitions.map(({ partition, high }) => [partitionKey(topic, partition), high] as const),
        ),
      );
    },
    async close() {
      groups.clear();
      await admin.close();
    },
  };
}
