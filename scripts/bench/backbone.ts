// The event backbone end to end at a fixed load: business commit → outbox → relay → Kafka → consumer
// transaction. Prints messages/s and commit-to-handler latency p50/p99, for the relay woken by
// LISTEN/NOTIFY and by a 50 ms poll, then the drain rate of a backlog.
// Env: BENCH_RATE (messages/s, default 100), BENCH_SECONDS (default 10), BENCH_BACKLOG (default 3000).
import type { AnyMessage } from "@qc/contracts";
import { sql } from "kysely";
import { startConsumer } from "../../core/shared/consumer/runner";
import { transact } from "../../core/shared/db/transaction";
import { enqueue } from "../../core/shared/outbox/enqueue";
import { type RelayOptions, startRelay } from "../../core/shared/outbox/relay";
import {
  type Backbone,
  BROKERS,
  messagesFor,
  startBackbone,
  TOPIC,
} from "../../core/shared/outbox/testing/fixture";
import { brokerPort, startKafka } from "../infra/kafka";

const rate = Number(process.env.BENCH_RATE ?? 100);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const backlog = Number(process.env.BENCH_BACKLOG ?? 3_000);
const KEYS = 50;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

interface Run {
  messagesPerSecond: number;
  p50: number;
  p99: number;
  relayP50: number;
  relayP99: number;
  count: number;
}

/** Commits `messages` (one business transaction each) at `perSecond`, or all at once when it is 0. */
async function run(
  backbone: Backbone,
  name: string,
  relayOptions: Partial<RelayOptions>,
  messages: AnyMessage[],
  perSecond: number,
): Promise<Run> {
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const { promise: allHandled, resolve } = Promise.withResolvers<void>();
  const consumerDb = backbone.connect();
  const consumer = await startConsumer(
    {
      groupId: `${backbone.topicPrefix}-${name}`,
      topics: [TOPIC],
      concurrency: 6,
      handlers: {
        CartItemSet: async (_trx, message) => {
          const at = committedAt.get(message.id);
          if (at !== undefined) latencies.push(performance.now() - at);
          if (latencies.length === messages.length) resolve();
        },
      },
    },
    { ...backbone, db: consumerDb },
  );
  const relay = startRelay({
    db: backbone.connect(),
    bus: backbone.newBus(`relay-${name}`),
    logger: backbone.logger,
    topicPrefix: backbone.topicPrefix,
    ...relayOptions,
  });
  await Bun.sleep(3_000); // let the consumer join its group before the clock starts

  const writer = backbone.connect(10);
  const commit = async (batch: AnyMessage[]) => {
    await transact(writer, (trx) => enqueue(trx, ...batch));
    const at = performance.now();
    for (const message of batch) committedAt.set(message.id, at);
  };
  const started = performance.now();
  if (perSecond === 0) {
    // A backlog: written as fast as possible, 100 messages per business transaction.
    for (let i = 0; i < messages.length; i += 100) await commit(messages.slice(i, i + 100));
  } else {
    const commits: Promise<void>[] = [];
    for (const [i, message] of messages.entries()) {
      const due = started + (i * 1000) / perSecond;
      if (due > performance.now()) await Bun.sleep(due - performance.now());
      commits.push(commit([message]));
    }
    await Promise.all(commits);
  }
  await Promise.race([allHandled, Bun.sleep(120_000)]);
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all([consumer.stop(), relay.stop()]);
  // The relay's share: from the business transaction's start (created_at) to the row marked published.
  const { rows } = await sql<{ p50: number; p99: number }>`
    select percentile_cont(0.5) within group (order by published_at - created_at) as p50,
           percentile_cont(0.99) within group (order by published_at - created_at) as p99
    from (select extract(epoch from published_at - created_at) * 1000 as published_at, 0 as created_at
          from outbox where id = any(${messages.map((m) => m.id)})) relay`.execute(backbone.db);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    messagesPerSecond: latencies.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    relayP50: Number(rows[0]?.p50),
    relayP99: Number(rows[0]?.p99),
    count: latencies.length,
  };
}

// A benchmark starts what it needs: a Kafka broker unless one answers.
const kafka = await startKafka({ port: brokerPort(BROKERS) });
const backbone = await startBackbone("bench");
try {
  const fixed = Math.round(rate * seconds);
  const rows: Record<string, string | number>[] = [];
  const report = (label: string, result: Run, load: string) =>
    rows.push({
      run: label,
      load,
      handled: result.count,
      "messages/s": Math.round(result.messagesPerSecond),
      "p50 ms": Number(result.p50.toFixed(1)),
      "p99 ms": Number(result.p99.toFixed(1)),
      "relay p50 ms": Number(result.relayP50.toFixed(1)),
      "relay p99 ms": Number(result.relayP99.toFixed(1)),
    });
  // Unreported: the first run otherwise pays for JIT warm-up, pools and Kafka metadata.
  await run(backbone, "warm-up", {}, messagesFor(rate * 2, KEYS), rate);
  report(
    "relay woken in process after commit",
    await run(backbone, "listen", {}, messagesFor(fixed, KEYS), rate),
    `${rate}/s for ${seconds}s`,
  );
  report(
    "relay polling every 50 ms",
    await run(backbone, "poll", { idleDelayMs: 50, wakeOnCommit: false }, messagesFor(fixed, KEYS), rate),
    `${rate}/s for ${seconds}s`,
  );
  report(
    "backlog drain",
    await run(backbone, "backlog", {}, messagesFor(backlog, KEYS), 0),
    `${backlog} at once`,
  );
  console.table(rows);
  console.log(
    "p50/p99 = business commit → consumer handler start (inside its inbox transaction); relay = business " +
      "transaction start → row marked published in Kafka. Handlers do no work: the figures are the backbone's.",
  );
} finally {
  await backbone.close();
  await kafka.stop();
}
