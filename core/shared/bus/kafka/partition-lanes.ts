import type { Message } from "@platformatic/kafka";
import type { IncomingRecord } from "../index";

export type FetchedRecord = Message<string, string, string, string>;

/** An offset to commit: the next record the group should read on that partition. */
export interface CommitPosition {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
}

interface Lane {
  topic: string;
  partition: number;
  queue: FetchedRecord[];
  /** The highest offset queued or handed to the handler (-1 before the first). */
  queuedUpTo: bigint;
  running: boolean;
  /** Before this instant (ms) the lane hands nothing over: the partition's previous owner may still be busy. */
  notBefore: number;
}

export interface LanesOptions {
  /** Consecutive records of one partition; resolves once they are done (their offsets may be committed). */
  handle(records: IncomingRecord[]): Promise<void>;
  maxBatchSize: number;
  /** Partitions handled at once. */
  concurrency: number;
  /** Records waiting across all partitions above which fetching pauses (resumed at half). */
  highWater: number;
  pause(): void;
  resume(): void;
  /** Waits this long, or rejects as soon as the subscription stops. */
  sleep(ms: number): Promise<void>;
  /** The wait before a rejected chunk is handed over again. */
  retryDelayMs(attempt: number): number;
  /**
   * How long a partition newly assigned to this member waits before its first chunk. The client rejoins a
   * rebalance without waiting for the handlers, so the previous owner may still be applying its last chunk;
   * starting after it keeps the partition in order (a chunk longer than this can still overlap: the inbox
   * then absorbs the duplicates).
   */
  handOverMs: number;
}

const laneKey = (topic: string, partition: number) => `${topic}:${partition}`;

export const incoming = (record: FetchedRecord): IncomingRecord => ({
  topic: record.topic,
  partition: record.partition,
  offset: String(record.offset),
  key: record.key ?? null,
  value: record.value ?? null,
  headers: Object.fromEntries(record.headers ?? []),
});

/**
 * The runner semantics the bus promises, over a stream of fetched records: each partition this member owns
 * is a lane handled strictly in order, a chunk at a time, different partitions at once (up to
 * `concurrency`); a chunk's offset becomes committable only after its handler resolved, and a rejected chunk
 * is handed over again (after a backoff) until it resolves, the subscription stops or the partition is lost,
 * so a record is never skipped. Only the partitions of the latest assignment have lanes: a record of any
 * other (a fetch sent before a rebalance answers after it) is dropped, as is a record the lane already holds
 * (the client refetches from the committed offset after every rebalance). A partition taken away loses its
 * queue and pending commit, and its chunk in flight no longer commits.
 */
export function createPartitionLanes(options: LanesOptions) {
  const lanes = new Map<string, Lane>();
  const commits = new Map<string, CommitPosition>();
  const waiting: Lane[] = [];
  let queued = 0;
  let active = 0;
  let paused = false;
  let stopping = false;
  let idle = Promise.withResolvers<void>();
  idle.resolve();

  const backpressure = () => {
    if (!paused && queued > options.highWater) {
      paused = true;
      options.pause();
    } else if (paused && queued <= options.highWater / 2) {
      paused = false;
      options.resume();
    }
  };

  const current = (lane: Lane) => lanes.get(laneKey(lane.topic, lane.partition)) === lane;

  /** Hands a chunk over until it resolves; gives up (throws) once stopping or once the partition is lost. */
  const handleUntilDone = async (lane: Lane, chunk: FetchedRecord[]) => {
    const records = chunk.map(incoming);
    for (let attempt = 1; ; attempt++) {
      try {
        return await options.handle(records);
      } catch (error) {
        if (!current(lane)) throw error;
        await options.sleep(options.retryDelayMs(attempt));
      }
    }
  };

  const run = async (lane: Lane) => {
    try {
      const wait = lane.notBefore - Date.now();
      if (wait > 0) await options.sleep(wait);
      while (lane.queue.length > 0 && !stopping && current(lane)) {
        const chunk = lane.queue.splice(0, options.maxBatchSize);
        queued -= chunk.length;
        backpressure();
        await handleUntilDone(lane, chunk);
        const last = chunk.at(-1) as FetchedRecord;
        // A lane taken away by a rebalance while its chunk ran: the new owner commits, not us.
        if (current(lane))
          commits.set(laneKey(lane.topic, lane.partition), {
            topic: lane.topic,
            partition: lane.partition,
            offset: last.offset + 1n,
            leaderEpoch: last.leaderEpoch,
          });
      }
    } catch {
      // Stopping or a rebalance ended the chunk's retries: it stays uncommitted for the partition's owner.
    } finally {
      lane.running = false;
      active--;
      startWaiting();
      if (active === 0) idle.resolve();
    }
  };

  const start = (lane: Lane) => {
    if (lane.running || stopping) return;
    if (active >= options.concurrency) {
      if (!waiting.includes(lane)) waiting.push(lane);
      return;
    }
    if (active === 0) idle = Promise.withResolvers<void>();
    lane.running = true;
    active++;
    // On the next turn: by then every record of the fetch that woke this lane is queued, so its first chunk
    // carries them all (and the lanes woken by one fetch hand over together, sharing one transaction).
    setImmediate(() => void run(lane));
  };

  function startWaiting() {
    while (active < options.concurrency && waiting.length > 0) {
      const next = waiting.shift() as Lane;
      if (current(next) && next.queue.length > 0) start(next);
    }
  }

  return {
    push(record: FetchedRecord) {
      const lane = lanes.get(laneKey(record.topic, record.partition));
      if (!lane || record.offset <= lane.queuedUpTo) return;
      lane.queuedUpTo = record.offset;
      lane.queue.push(record);
      queued++;
      backpressure();
      start(lane);
    },

    /**
     * After every join: lanes of partitions no longer assigned lose their queue and pending commit, and each
     * partition newly assigned gets a fresh lane that starts after the hand-over wait. A partition kept keeps
     * its lane (and its order).
     */
    assigned(partitions: { topic: string; partitions: number[] }[]) {
      const owned = new Set(
        partitions.flatMap(({ topic, partitions: ids }) => ids.map((id) => laneKey(topic, id))),
      );
      for (const [key, lane] of lanes) {
        if (owned.has(key)) continue;
        lanes.delete(key);
        commits.delete(key);
        queued -= lane.queue.length;
        lane.queue = [];
      }
      for (const { topic, partitions: ids } of partitions)
        for (const partition of ids) {
          const key = laneKey(topic, partition);
          if (lanes.has(key)) continue;
          const notBefore = Date.now() + options.handOverMs;
          lanes.set(key, { topic, partition, queue: [], queuedUpTo: -1n, running: false, notBefore });
        }
      backpressure();
    },

    /** Whether fetching is held back (a stream that replaces a failed one must start held back too). */
    get paused() {
      return paused;
    },

    /** Offsets ready to commit since the last call. */
    takeCommits(): CommitPosition[] {
      const taken = [...commits.values()];
      commits.clear();
      return taken;
    },

    /** Puts back offsets whose commit failed, unless the partition is lost or a newer one is pending. */
    restoreCommits(positions: CommitPosition[]) {
      for (const position of positions) {
        const key = laneKey(position.topic, position.partition);
        if (lanes.has(key) && !commits.has(key)) commits.set(key, position);
      }
    },

    /** Stops handing out chunks and resolves once the chunks in flight are done. */
    async drain() {
      stopping = true;
      waiting.length = 0;
      for (const lane of lanes.values()) lane.queue = [];
      queued = 0;
      await idle.promise;
    },
  };
}
