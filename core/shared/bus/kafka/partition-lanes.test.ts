import { describe, expect, it } from "bun:test";
import { createPartitionLanes, type FetchedRecord } from "./partition-lanes";

const record = (partition: number, offset: number) =>
  ({
    topic: "t",
    partition,
    offset: BigInt(offset),
    leaderEpoch: 0,
    key: "k",
    value: String(offset),
    headers: new Map(),
  }) as unknown as FetchedRecord;
const settle = () => Bun.sleep(20);

/** Lanes over a recording handler; `fail` makes the handler reject the records it names (once each). */
function lanesFor(options: { handOverMs?: number; fail?: Set<string> } = {}) {
  const handled: string[] = [];
  const lanes = createPartitionLanes({
    handle: async (records) => {
      for (const one of records) {
        const id = `${one.partition}@${one.offset}`;
        if (options.fail?.delete(id)) throw new Error(`refused ${id}`);
      }
      handled.push(...records.map((one) => `${one.partition}@${one.offset}`));
    },
    maxBatchSize: 100,
    concurrency: 4,
    highWater: 2_000,
    pause() {},
    resume() {},
    sleep: (ms) => Bun.sleep(ms),
    retryDelayMs: () => 1,
    handOverMs: options.handOverMs ?? 0,
  });
  const committed = () => lanes.takeCommits().map((one) => `${one.partition}@${one.offset}`);
  return { lanes, handled, committed };
}

describe("partition lanes", () => {
  it("hands over only partitions this member owns: a fetch answering after a rebalance is dropped", async () => {
    const { lanes, handled, committed } = lanesFor();
    lanes.assigned([{ topic: "t", partitions: [0] }]);
    for (let offset = 0; offset < 10; offset++) lanes.push(record(0, offset));
    await settle();
    expect(committed()).toEqual(["0@10"]);

    // The partition moves to another member; a fetch this member sent before answers afterwards.
    lanes.assigned([]);
    lanes.push(record(0, 15));
    lanes.push(record(0, 16));
    await settle();
    expect(handled).toHaveLength(10);
    expect(committed()).toEqual([]);

    // It comes back while the other member had committed only 10: every record from there is handled.
    lanes.assigned([{ topic: "t", partitions: [0] }]);
    for (let offset = 10; offset < 20; offset++) lanes.push(record(0, offset));
    await settle();
    expect(handled).toEqual(Array.from({ length: 20 }, (_, offset) => `0@${offset}`));
    expect(committed()).toEqual(["0@20"]);
  });

  it("keeps a kept partition's order and drops the records a rebalance refetches", async () => {
    const { lanes, handled } = lanesFor();
    lanes.assigned([{ topic: "t", partitions: [0, 1] }]);
    for (let offset = 0; offset < 5; offset++) lanes.push(record(0, offset));
    lanes.assigned([{ topic: "t", partitions: [0] }]);
    for (let offset = 0; offset < 8; offset++) lanes.push(record(0, offset));
    await settle();
    expect(handled).toEqual(Array.from({ length: 8 }, (_, offset) => `0@${offset}`));
  });

  it("hands a rejected chunk over again until it resolves, and commits only after", async () => {
    const { lanes, handled, committed } = lanesFor({ fail: new Set(["0@1"]) });
    lanes.assigned([{ topic: "t", partitions: [0] }]);
    for (let offset = 0; offset < 3; offset++) lanes.push(record(0, offset));
    await settle();
    expect(handled).toEqual(["0@0", "0@1", "0@2"]);
    expect(committed()).toEqual(["0@3"]);
  });

  it("waits the hand-over time before the first chunk of a partition newly assigned", async () => {
    const { lanes, handled } = lanesFor({ handOverMs: 150 });
    lanes.assigned([{ topic: "t", partitions: [0] }]);
    lanes.push(record(0, 0));
    await settle();
    expect(handled).toEqual([]);
    await Bun.sleep(200);
    expect(handled).toEqual(["0@0"]);
  });
});
