/**
 * Our own small message-bus interface. Services and the outbox/consumer runtime speak only this; the
 * Kafka client lives behind it in bus/kafka, so it could be replaced in one place (and was: kafkajs,
 * unmaintained upstream, gave way to @platformatic/kafka).
 */

export interface TopicSpec {
  name: string;
  partitions: number;
  retentionMs?: number;
}

export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Start from the earliest offset when the group has none committed (default true). */
  fromBeginning?: boolean;
  /**
   * Handles one record. The bus commits its offset only after this resolves; a rejection pauses
   * the partition and redelivers it, so handlers decide themselves what is retried or dead-lettered.
   */
  handle: (record: IncomingRecord) => Promise<void>;
  /**
   * When given, used instead of `handle`: consecutive records of one partition (at most maxBatchSize) in
   * one call, so the handler can commit them in one transaction. Offsets are committed only up to the
   * last record of a call that resolved.
   */
  handleBatch?: (records: IncomingRecord[]) => Promise<void>;
  /** Most records per handleBatch call (default 100). */
  maxBatchSize?: number;
  /** Partitions handled at once (each partition stays strictly ordered). */
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a silent member before handing its partitions to others (default 6 s). */
  sessionTimeoutMs?: number;
  /**
   * Whether the service is ready only once this group has worked off what its topics held when it joined
   * (default true). False for a side effect that may wait on something outside core (the edge): it must not
   * take the service out of its load balancer.
   */
  gatesReadiness?: boolean;
  /**
   * For a group off the checkout's critical path: the broker holds each fetch up to this long unless a
   * megabyte is ready (Kafka's fetch.max.wait.ms with a fetch.min.bytes that normal load never reaches), so
   * one fetch, one decode and one group-commit transaction carry every order of the window instead of one or
   * two each. Unset: a fetch answers as soon as a record lands.
   */
  gatherMs?: number;
}

/**
 * The gather window of the groups whose effects nobody waits on at checkout (read models, clean-ups, pick tasks,
 * notifications): long enough that under load a fetch carries many orders, short enough that availability is
 * at most a second or two stale and a shopper's live view lags by half a second at most.
 */
export const BACKGROUND_GATHER_MS = 500;

export interface Subscription {
  /** Finishes the in-flight records, commits their offsets and leaves the group. */
  stop(): Promise<void>;
}

/** How far a consumer group is behind on one partition: high watermark minus committed offset. */
export interface ConsumerLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** How far a consumer group of this bus has come since it subscribed. */
export interface ConsumerGroupStartup {
  group: string;
  /** `unknown` while the broker cannot be asked. */
  state: "joining" | "catching-up" | "caught-up" | "unknown";
  /** Records of the start-up backlog not yet committed (null until known). */
  behind: number | null;
}

export interface Bus {
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Publishes in order per key; resolves once every in-sync replica has the records. */
  publish(records: OutgoingRecord[]): Promise<void>;
  /** Every record a topic holds right now, in offset order per partition (for tooling such as the DLQ). */
  readTopic(topic: string): Promise<IncomingRecord[]>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** The lag of every group subscribed through this bus (stopped ones too), per partition. */
  consumerLag(): Promise<ConsumerLag[]>;
  /**
   * Every group subscribed through this bus and still running: whether it has joined (partitions assigned)
   * and worked off what its topics held when it joined. Readiness waits for all of them.
   */
  consumerStartup(): Promise<ConsumerGroupStartup[]>;
  /** True while a broker answers metadata requests within the probe's deadline. */
  isHealthy(): Promise<boolean>;
  /**
   * Whether a consumer group is known to be down: it has consumed before but no member holds its partitions
   * now (every instance of that service stopped or died). False for a live group and for one never seen;
   * null when the broker cannot tell.
   */
  groupIsDown(groupId: string): Promise<boolean | null>;
  disconnect(): Promise<void>;
}
