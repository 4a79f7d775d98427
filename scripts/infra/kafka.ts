import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Admin } from "@platformatic/kafka";

const root = resolve(import.meta.dir, "../..");
const home = join(root, ".qc/kafka");
const lib = join(home, "lib");

export interface KafkaBroker {
  brokers: string[];
  /** True when this call started the broker (and so may stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface KafkaOptions {
  port?: number;
  controllerPort?: number;
  /** Storage folder; each broker on the machine needs its own. */
  dataDir?: string;
  log?: (line: string) => void;
}

/** The port of the first broker in a `KAFKA_BROKERS` list (host:port), where a local broker is started. */
export const brokerPort = (brokers: readonly string[]): number => Number(brokers[0]?.split(":")[1] ?? 9092);

/** Downloads the broker's jars from Maven Central once; later calls find them cached under .qc/. */
export async function fetchKafka(): Promise<void> {
  if (existsSync(lib) && readdirSync(lib).some((jar) => jar.startsWith("kafka_2.13-"))) return;
  const pom = join(root, "infra/kafka/pom.xml");
  const mvn = Bun.spawn(
    ["mvn", "-q", "-B", "-f", pom, "dependency:copy-dependencies", `-DoutputDirectory=${lib}`],
    {
      stdout: "inherit",
      stderr: "inherit",
    },
  );
  if ((await mvn.exited) !== 0) throw new Error("mvn could not fetch the Kafka broker from Maven Central");
}

/** Answers true once a broker at `broker` serves metadata. */
export async function kafkaAnswers(broker: string): Promise<boolean> {
  const admin = new Admin({
    clientId: "infra-probe",
    bootstrapBrokers: [broker],
    timeout: 1_000,
    retries: 0,
  });
  try {
    await admin.metadata({ topics: [] });
    return true;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}

const java = (args: string[]) => [
  "java",
  "-Xms256m",
  "-Xmx768m",
  "-XX:TieredStopAtLevel=1",
  "-cp",
  `${lib}/*`,
  ...args,
];

/**
 * Starts a single-node KRaft broker unless one already answers on the port; formats its storage on first
 * use and waits until it serves metadata. `stop()` shuts it down cleanly (SIGTERM, then SIGKILL).
 */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaBroker> {
  const port = options.port ?? 9092;
  const controllerPort = options.controllerPort ?? port + 1;
  const broker = `127.0.0.1:${port}`;
  if (await kafkaAnswers(broker)) return { brokers: [broker], owned: false, stop: async () => {} };

  await fetchKafka();
  const dataDir = options.dataDir ?? join(home, `data-${port}`);
  mkdirSync(dataDir, { recursive: true });
  const properties = join(dataDir, "server.properties");
  writeFileSync(
    properties,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      `log.dirs=${join(dataDir, "logs")}`,
      "auto.create.topics.enable=false",
      "num.partitions=3",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=10",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "log.retention.check.interval.ms=60000",
    ].join("\n"),
  );
  const log4j = `-Dlog4j.configuration=file:${join(root, "infra/kafka/log4j.properties")}`;
  if (!existsSync(join(dataDir, "logs", "meta.properties"))) {
    const format = Bun.spawn(
      java([log4j, "kafka.tools.StorageTool", "format", "-t", "cXVpY2tjb21tZXJjZTAx", "-c", properties]),
      { stdout: "ignore", stderr: "inherit" },
    );
    if ((await format.exited) !== 0) throw new Error("kafka storage format failed");
  }

  const logFile = Bun.file(join(dataDir, "broker.log"));
  const child = Bun.spawn(java([log4j, "kafka.Kafka", properties]), { stdout: logFile, stderr: logFile });
  const deadline = Date.now() + 60_000;
  while (!(await kafkaAnswers(broker))) {
    if (child.exitCode !== null)
      throw new Error(`kafka exited with ${child.exitCode}; see ${dataDir}/broker.log`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`kafka did not answer on ${broker} within 60s; see ${dataDir}/broker.log`);
    }
    await Bun.sleep(250);
  }
  options.log?.(`kafka ready on ${broker} (pid ${child.pid})`);

  return {
    brokers: [broker],
    owned: true,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await child.exited;
      clearTimeout(killer);
    },
  };
}
