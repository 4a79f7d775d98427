// kafkajs (behind core/shared/bus today) against @platformatic/kafka, the maintained client, on the same broker
// and in the same Bun: produce throughput (idempotent, acks from all in-sync replicas, batches of 100 as the
// relay sends), consume throughput in a consumer group, CPU per 1,000 messages, and the pause a consumer's
// restart costs (a child process SIGKILLed and started again at once while a steady stream flows): kafkajs
// with dynamic membership (what the bus does, 6 s session) against platformatic with static membership
// (KIP-345 `groupInstanceId`, which kafkajs lacks), where a restarted member takes its partitions back at once.
// Env: BENCH_MESSAGES (default 20000), BENCH_RATE (steady stream msg/s, default 200). Needs a broker
// (KAFKA_BROKERS, default 127.0.0.1:9092; `npm run infra:up` starts one).
import {
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { createKafkaBus, deleteTopics } from "../../core/shared/bus/kafka";

const BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const PARTITIONS = 4;
const BATCH = 100;
type ClientName = "kafkajs" | "platformatic";

const payload = JSON.stringify({
  type: "StockLevelChanged",
  data: { sku: "MILK-1L", available: 42 },
  pad: "x".repeat(160),
});
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Sends `count` records in batches of BATCH, one batch in flight (as the relay does). */
async function produce(client: ClientName, topic: string, count: number) {
  const records = (from: number) =>
    Array.from({ length: Math.min(BATCH, count - from) }, (_, i) => ({
      key: `order-${(from + i) % 64}`,
      value: payload,
    }));
  if (client === "kafkajs") {
    const producer = new Kafka({
      clientId: "bench-kafkajs",
      brokers: BROKERS,
      logLevel: logLevel.NOTHING,
    }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (let sent = 0; sent < count; sent += BATCH)
      await producer.send({ topic, acks: -1, messages: records(sent) });
    await producer.disconnect();
    return;
  }
  const producer = new PlatformaticProducer({
    clientId: "bench-platformatic",
    bootstrapBrokers: BROKERS,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  for (let sent = 0; sent < count; sent += BATCH)
    await producer.send({ messages: records(sent).map((record) => ({ topic, ...record })) });
  await producer.close();
}

/** A group member that calls `onMessage` for each record; resolves once it runs. */
async function consume(
  client: ClientName,
  topic: string,
  groupId: string,
  onMessage: () => void,
  instanceId?: string,
): Promise<{ stop(): Promise<void> }> {
  if (client === "kafkajs") {
    const consumer = new Kafka({
      clientId: "bench-kafkajs",
      brokers: BROKERS,
      logLevel: logLevel.NOTHING,
    }).consumer({
      groupId,
      sessionTimeout: 6_000,
      heartbeatInterval: 2_000,
      maxWaitTimeInMs: 1_000,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 500,
      partitionsConsumedConcurrently: PARTITIONS,
      eachMessage: async () => onMessage(),
    });
    return { stop: () => consumer.disconnect() };
  }
  const consumer = new PlatformaticConsumer({
    clientId: "bench-platformatic",
    groupId,
    bootstrapBrokers: BROKERS,
    deserializers: stringDeserializers,
    sessionTimeout: 6_000,
    rebalanceTimeout: 6_000,
    heartbeatInterval: 2_000,
    maxWaitTime: 1_000,
    ...(instanceId ? { groupInstanceId: instanceId } : {}),
  });
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: 500 });
  stream.on("data", onMessage);
  return { stop: () => consumer.close(true) };
}

async function throughput(client: ClientName) {
  const topic = `bench-clients-${client}-${crypto.randomUUID().slice(0, 8)}`;
  const bus = createKafkaBus({ brokers: BROKERS, clientId: "bench-clients" });
  await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
  try {
    let cpu = cpuMs();
    let started = performance.now();
    await produce(client, topic, MESSAGES);
    const produced = { seconds: (performance.now() - started) / 1000, cpu: cpuMs() - cpu };

    let consumed = 0;
    const { promise: all, resolve } = Promise.withResolvers<void>();
    cpu = cpuMs();
    started = performance.now();
    const member = await consume(client, topic, `${topic}-group`, () => {
      consumed += 1;
      if (consumed === MESSAGES) resolve();
    });
    await all;
    const consumedIn = { seconds: (performance.now() - started) / 1000, cpu: cpuMs() - cpu };
    await member.stop();
    const perSecond = (seconds: number) => Math.round(MESSAGES / seconds).toLocaleString("en");
    const cpuPerK = (ms: number) => ((ms * 1000) / MESSAGES).toFixed(1);
    console.log(
      `${client.padEnd(13)} produce ${perSecond(produced.seconds).padStart(7)} msg/s (${cpuPerK(produced.cpu)} ms CPU/1,000)   consume ${perSecond(consumedIn.seconds).padStart(7)} msg/s incl. join (${cpuPerK(consumedIn.cpu)} ms CPU/1,000)`,
    );
  } finally {
    await bus.disconnect();
    await deleteTopics(BROKERS, [topic]);
  }
}

/** The child: one group member printing a line per record until killed. */
async function child(client: ClientName, topic: string, groupId: string, instanceId: string) {
  await consume(
    client,
    topic,
    groupId,
    () => process.stdout.write("m\n"),
    instanceId === "-" ? undefined : instanceId,
  );
  process.stdout.write("running\n");
  setInterval(() => {}, 1 << 30);
}

/** Steady stream; the consuming child is SIGKILLed and restarted; the pause is kill → first record again. */
async function restartPause(client: ClientName, staticMembership: boolean) {
  const topic = `bench-restart-${client}-${crypto.randomUUID().slice(0, 8)}`;
  const bus = createKafkaBus({ brokers: BROKERS, clientId: "bench-clients" });
  await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
  let flowing = true;
  const stream = (async () => {
    while (flowing) {
      await bus.publish([{ topic, key: `k-${Math.random()}`, value: payload }]);
      await Bun.sleep(1000 / RATE);
    }
  })();
  const spawnMember = () => {
    let lastSeen = 0;
    const { promise: running, resolve } = Promise.withResolvers<void>();
    const proc = Bun.spawn(
      [
        process.execPath,
        import.meta.path,
        "child",
        client,
        topic,
        `${topic}-group`,
        staticMembership ? "member-1" : "-",
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const firstRecord = Promise.withResolvers<number>();
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) {
        const text = decoder.decode(chunk);
        if (text.includes("running")) resolve();
        if (text.includes("m\n")) {
          lastSeen = performance.now();
          firstRecord.resolve(lastSeen);
        }
      }
    })();
    return { proc, running, firstRecord: firstRecord.promise, lastSeen: () => lastSeen };
  };
  try {
    const first = spawnMember();
    await first.running;
    await first.firstRecord;
    await Bun.sleep(3_000);
    const killedAt = performance.now();
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    const second = spawnMember();
    const resumedAt = await Promise.race([second.firstRecord, Bun.sleep(60_000).then(() => Number.NaN)]);
    second.proc.kill("SIGKILL");
    await second.proc.exited;
    const membership = staticMembership ? "static membership" : "dynamic membership";
    console.log(
      `${client.padEnd(13)} ${membership.padEnd(18)} restart pause (SIGKILL → records flow again): ${((resumedAt - killedAt) / 1000).toFixed(2)} s`,
    );
  } finally {
    flowing = false;
    await stream;
    await bus.disconnect();
    await deleteTopics(BROKERS, [topic]);
  }
}

if (process.argv[2] === "child") {
  const [, , , client, topic, groupId, instanceId] = process.argv;
  await child(client as ClientName, topic ?? "", groupId ?? "", instanceId ?? "-");
} else {
  console.log(
    `${MESSAGES.toLocaleString("en")} records of ${payload.length} B, ${PARTITIONS} partitions, broker ${BROKERS.join(",")}`,
  );
  for (const client of ["kafkajs", "platformatic"] as const) await throughput(client);
  console.log(`\na consumer restarted while ${RATE} msg/s flow (session timeout 6 s, heartbeat 2 s):`);
  await restartPause("kafkajs", false);
  await restartPause("platformatic", false);
  await restartPause("platformatic", true);
  process.exit(0);
}
