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
  /** Waits before a rejected chunk is handed over again; rejects once the subscription stops. */
  backoff(attempt: number): Promise<void>;
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
 * The runner semantics the bus promises, over a stream of fetched records: each partition is a lane handled
 * strictly in order, a chunk at a time, different partitions at once (up to `concurrency`); a chunk's offset
 * becomes committable only after its handler resolved, and a rejected chunk is handed over again (after a
 * backoff) until it resolves or the subscription stops, so a record is never skipped. A record the lane
 * already holds (the client refetches from the committed offset after every rebalance) is dropped, so
 * nothing is handled twice by this member; a partition taken away loses its queue (its next owner reads it
 * from the committed offset) and its in-flight chunk no longer commits.
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

  const handleUntilDone = async (chunk: FetchedRecord[]) => {
    const records = chunk.map(incoming);
    for (let attempt = 1; ; attempt++) {
      try {
        return await options.handle(records);
      } catch {
        await options.backoff(attempt);
      }
    }
  };

  const run = async (lane: Lane) => {
    const key = laneKey(lane.topic, lane.partition);
    try {
      while (lane.queue.length > 0 && !stopping) {
        const chunk = lane.queue.splice(0, options.maxBatchSize);
        queued -= chunk.length;
        backpressure();
        await handleUntilDone(chunk);
        const last = chunk.at(-1) as FetchedRecord;
        // A lane taken away by a rebalance while its chunk ran: the new owner commits, not us.
        if (lanes.get(key) === lane)
          commits.set(key, {
            topic: lane.topic,
            partition: lane.partition,
            offset: last.offset + 1n,
            leaderEpoch: last.leaderEpoch,
          });
      }
    } catch {
      // Stopping ended a backoff: the chunk stays uncommitted and comes again to the partition's next owner.
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
      if (lanes.get(laneKey(next.topic, next.partition)) === next && next.queue.length > 0) start(next);
    }
  }

  return {
    push(record: FetchedRecord) {
      const key = laneKey(record.topic, record.partition);
      let lane = lanes.get(key);
      if (!lane) {
        lane = {
          topic: record.topic,
          partition: record.partition,
          queue: [],
          queuedUpTo: -1n,
          running: false,
        };
        lanes.set(key, lane);
      }
      if (record.offset <= lane.queuedUpTo) return;
      lane.queuedUpTo = record.offset;
      lane.queue.push(record);
      queued++;
      backpressure();
      start(lane);
    },

    /** After a rebalance: lanes of partitions no longer assigned lose their queue and pending commit. */
    assigned(partitions: { topic: string; partitions: number[] }[]) {
      const kept = new Set(
        partitions.flatMap(({ topic, partitions: ids }) => ids.map((id) => laneKey(topic, id))),
      );
      for (const [key, lane] of lanes) {
        if (kept.has(key)) continue;
        lanes.delete(key);
        commits.delete(key);
        queued -= lane.queue.length;
        lane.queue = [];
      }
      backpressure();
    },

    /** Offsets ready to commit since the last call. */
    takeCommits(): CommitPosition[] {
      const taken = [...commits.values()];
      commits.clear();
      return taken;
    },

    /** Puts back offsets whose commit failed, unless a newer one for that partition is already pending. */
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
