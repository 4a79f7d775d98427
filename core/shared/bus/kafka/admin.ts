import { Admin, ListOffsetTimestamps } from "@platformatic/kafka";
import type { TopicSpec } from "../index";
import { clientOptions, type KafkaBusOptions } from "./connection";

/** Each partition's low and high watermark, per topic. */
export type Watermarks = Map<string, { partition: number; low: bigint; high: bigint }[]>;

/** The Kafka error codes (`apiId`) inside a client error, however deeply nested. */
const protocolErrors = (error: Error & { apiId?: string; errors?: Error[] }): string[] =>
  error.apiId ? [error.apiId] : (error.errors ?? []).flatMap(protocolErrors);

/** Our admin calls over the client's Admin: created lazily, rebuilt after a failure (a broker restart). */
export function createAdmin(
  bus: KafkaBusOptions,
  role: string,
  deadlines: { timeout: number; retries: number },
) {
  let admin: Admin | undefined;
  const connected = () => {
    // `timeout` is only what the broker is asked to honour; the socket's own deadline is `requestTimeout`.
    admin ??= new Admin({
      ...clientOptions(bus, role),
      ...deadlines,
      requestTimeout: deadlines.timeout,
      connectTimeout: deadlines.timeout,
    });
    return admin;
  };

  /** Runs one call; a failure closes the client, so the next call connects afresh. */
  const call = async <T>(work: (client: Admin) => Promise<T>): Promise<T> => {
    const client = connected();
    try {
      return await work(client);
    } catch (error) {
      // The broker answered (with an error for this request): the connection is fine.
      if (protocolErrors(error as Error).length > 0) throw error;
      if (admin === client) admin = undefined;
      await client.close().catch(() => {});
      throw error;
    }
  };

  const offsetsAt = (topics: string[], partitionsOf: Map<string, number>, timestamp: bigint) =>
    call((client) =>
      client.listOffsets({
        topics: topics.map((name) => ({
          name,
          partitions: Array.from({ length: partitionsOf.get(name) ?? 0 }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp,
          })),
        })),
      }),
    );

  const partitionCounts = async (topics: string[]) => {
    const metadata = await call((client) => client.metadata({ topics, forceUpdate: true }));
    return new Map(topics.map((topic) => [topic, metadata.topics.get(topic)?.partitionsCount ?? 0]));
  };

  return {
    call,

    /** Creates what is missing; a topic that exists already is left as it is. */
    async createTopics(topics: TopicSpec[]) {
      // One request per shape (partitions, retention): the broker creates each topic of a request on its own
      // and answers TOPIC_ALREADY_EXISTS for those it has.
      const shapes = new Map<string, TopicSpec[]>();
      for (const topic of topics) {
        const shape = `${topic.partitions}/${topic.retentionMs ?? ""}`;
        shapes.set(shape, [...(shapes.get(shape) ?? []), topic]);
      }
      for (const group of shapes.values()) {
        const [{ partitions, retentionMs }] = group as [TopicSpec];
        await call((client) =>
          client.createTopics({
            topics: group.map((topic) => topic.name),
            partitions,
            replicas: 1,
            configs: retentionMs === undefined ? [] : [{ name: "retention.ms", value: String(retentionMs) }],
          }),
        ).catch((error: Error) => {
          const codes = protocolErrors(error);
          if (codes.length === 0 || codes.some((apiId) => apiId !== "TOPIC_ALREADY_EXISTS")) throw error;
        });
      }
    },

    /** Whether the broker serves metadata for every topic with a leader for each partition. */
    async served(topics: string[]) {
      const metadata = await call((client) => client.metadata({ topics, forceUpdate: true }));
      return topics.every((name) => {
        const topic = metadata.topics.get(name);
        return !!topic && topic.partitions.length > 0 && topic.partitions.every((one) => one.leader >= 0);
      });
    },

    async watermarks(topics: string[]): Promise<Watermarks> {
      const counts = await partitionCounts(topics);
      const [lows, highs] = await Promise.all([
        offsetsAt(topics, counts, ListOffsetTimestamps.EARLIEST),
        offsetsAt(topics, counts, ListOffsetTimestamps.LATEST),
      ]);
      const lowOf = new Map(
        lows.flatMap(({ name, partitions }) =>
          partitions.map((one) => [`${name}:${one.partitionIndex}`, one.offset] as const),
        ),
      );
      return new Map(
        highs.map(({ name, partitions }) => [
          name,
          partitions.map((one) => ({
            partition: one.partitionIndex,
            low: lowOf.get(`${name}:${one.partitionIndex}`) ?? 0n,
            high: one.offset,
          })),
        ]),
      );
    },

    /** The group's committed offset per `topic:partition` (absent: never committed). */
    async committed(groupId: string, topics: string[]) {
      const [group] = await call((client) => client.listConsumerGroupOffsets({ groups: [groupId] }));
      const wanted = new Set(topics);
      return new Map<string, bigint>(
        (group?.topics ?? [])
          .filter((topic) => wanted.has(topic.name))
          .flatMap(({ name, partitions }) =>
            partitions
              .filter((one) => one.committedOffset >= 0n)
              .map((one) => [`${name}:${one.partitionIndex}`, one.committedOffset] as const),
          ),
      );
    },

    async close() {
      await admin?.close().catch(() => {});
      admin = undefined;
    },
  };
}

export type BusAdmin = ReturnType<typeof createAdmin>;
