import { afterAll, describe, expect, it } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { topicDeclarations } from "@qc/contracts";
import { BROKERS } from "../../outbox/testing/fixture";
import type { IncomingRecord } from "../index";
import { createKafkaBus, deleteTopics } from "./index";

const prefix = `bb-bus-${crypto.randomUUID().slice(0, 8)}`;
const bus = createKafkaBus({ brokers: BROKERS, clientId: prefix });
const declared = topicDeclarations(prefix);
const scratch = `${prefix}.scratch`;
const gathering = `${prefix}.gathering`;
afterAll(async () => {
  await bus.disconnect();
  await deleteTopics(BROKERS, [...declared.map((topic) => topic.name), scratch, gathering]);
});

const until = async (check: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(20);
  }
};

describe("kafka bus", () => {
  it("creates every registry topic with its partitions and retention, and auto-creates none", async () => {
    await bus.ensureTopics(declared);
    await bus.ensureTopics(declared); // idempotent at every start-up

    const admin = new Admin({ clientId: `${prefix}-check`, bootstrapBrokers: BROKERS });
    try {
      const metadata = await admin.metadata({
        topics: declared.map((topic) => topic.name),
        forceUpdate: true,
      });
      const partitions = Object.fromEntries(
        declared.map((topic) => [topic.name, metadata.topics.get(topic.name)?.partitionsCount]),
      );
      expect(partitions).toEqual(Object.fromEntries(declared.map((topic) => [topic.name, topic.partitions])));
      const first = declared[0];
      const [described] = await admin.describeConfigs({
        resources: [
          { resourceType: 2, resourceName: first?.name ?? "", configurationKeys: ["retention.ms"] },
        ],
      });
      expect(described?.configs[0]?.value).toBe(String(first?.retentionMs));

      const undeclared = `${prefix}.undeclared.events.v1`;
      await expect(bus.publish([{ topic: undeclared, key: "k", value: "v" }])).rejects.toThrow();
      // Listing fails transiently while another run on the shared broker deletes its topics.
      const listed = await admin.listTopics().catch(() => Bun.sleep(1_000).then(() => admin.listTopics()));
      expect(listed).not.toContain(undeclared);
    } finally {
      await admin.close();
    }
  }, 60_000);

  it.each(["handle", "handleBatch"])(
    "%s: commits an offset only after the handler resolves: a rejected record comes back, a drained one does not",
    async (mode) => {
      await bus.ensureTopics([{ name: scratch, partitions: 1 }]);
      const groupId = `${prefix}-commit-${mode}`;
      const before = (await bus.readTopic(scratch)).length;
      const seen: string[] = [];
      let failOnce = true;
      let finishedSlow = false;
      const handle = async (record: IncomingRecord) => {
        if (Number(record.offset) < before) return;
        seen.push(record.value ?? "");
        if (record.value === "fails-once" && failOnce) {
          failOnce = false;
          throw new Error("transient");
        }
        if (record.value === "slow") {
          finishedSlow = true;
        }
      };
      const handleBatch = async (records: IncomingRecord[]) => {
        for (const record of records) await handle(record);
      };
      const subscribe = () =>
        bus.subscribe({
          groupId,
          topics: [scratch],
          handle,
          ...(mode === "handleBatch" ? { handleBatch } : {}),
        });
      const first = await subscribe();
      await bus.publish([
        { topic: scratch, key: "k", value: "fails-once" },
        { topic: scratch, key: "k", value: "next" },
        { topic: scratch, key: "k", value: "slow" },
      ]);
      await until(() => seen.includes("slow"));
      await first.stop(); // SIGTERM path: must wait for "slow" and commit it
      expect(finishedSlow).toBe(true);
      expect(seen).toEqual(["fails-once", "fails-once", "next", "slow"]);

      const second = await subscribe();
      await bus.publish([{ topic: scratch, key: "k", value: "after restart" }]);
      await until(() => seen.includes("after restart"));
      await second.stop();
      expect(seen).toEqual(["fails-once", "fails-once", "next", "slow", "after restart"]);
    },
    60_000,
  );

  it("a gathering group receives a window's records together; an immediate one record by record", async () => {
    await bus.ensureTopics([{ name: gathering, partitions: 4 }]);
    /**
     * How many separate deliveries 40 records, produced 10 ms apart over 4 keys, reach a group in, and how
     * long producing them took.
     */
    const deliveries = async (gatherMs: number | undefined) => {
      const arrivals: number[] = [];
      let producingMs = 0;
      const subscription = await bus.subscribe({
        groupId: `${prefix}-gather-${gatherMs ?? "none"}`,
        topics: [gathering],
        fromBeginning: false,
        handle: async () => {},
        handleBatch: async (records) => {
          for (const _ of records) arrivals.push(performance.now());
        },
        gatherMs,
      });
      try {
        await Bun.sleep(1_000); // joined, at the newest offset
        const started = performance.now();
        for (let i = 0; i < 40; i++) {
          await bus.publish([{ topic: gathering, key: `key-${i % 4}`, value: String(i) }]);
          await Bun.sleep(10);
        }
        producingMs = performance.now() - started;
        await until(() => arrivals.length >= 40);
      } finally {
        await subscription.stop();
      }
      // Records handed over within 5 ms of each other came in one fetch.
      const count = arrivals.filter((at, i) => i === 0 || at - (arrivals[i - 1] ?? 0) > 5).length;
      return { count, producingMs };
    };
    const immediate = await deliveries(undefined);
    const gathered = await deliveries(200);
    console.log(
      `40 records in ${immediate.count} deliveries immediately, ${gathered.count} with a 200 ms window ` +
        `(produced over ${gathered.producingMs.toFixed(0)} ms)`,
    );
    expect(immediate.count).toBeGreaterThan(20);
    // One delivery per window the producing spanned, plus the windows it started and ended in part.
    expect(gathered.count).toBeLessThanOrEqual(Math.ceil(gathered.producingMs / 200) + 2);
  }, 60_000);
});
