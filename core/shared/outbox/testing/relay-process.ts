// A relay in its own process, so a test can SIGKILL it mid-batch. Configured by env from the test.
// RELAY_KILL_AFTER_PUBLISH=n makes it SIGKILL itself right after its n-th batch reached Kafka and before
// that batch is marked published: the worst moment, reached every time rather than by luck.
import type { Bus } from "../../bus";
import { createKafkaBus } from "../../bus/kafka";
import { createDb } from "../../db";
import { createLogger } from "../../telemetry/logger";
import { startRelay } from "../relay";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const db = createDb<any>({ url: env("DATABASE_URL"), schema: env("RELAY_SCHEMA") });
const kafka = createKafkaBus({ brokers: env("KAFKA_BROKERS").split(","), clientId: "relay-process" });
const killAfter = Number(process.env.RELAY_KILL_AFTER_PUBLISH ?? 0);
let batches = 0;
const bus: Bus = {
  ...kafka,
  async publish(records) {
    await kafka.publish(records);
    if (++batches === killAfter) process.kill(process.pid, "SIGKILL");
  },
};
startRelay({
  db,
  databaseUrl: env("DATABASE_URL"),
  bus,
  logger: createLogger("relay-process", "warn"),
  topicPrefix: env("TOPIC_PREFIX"),
  batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 100),
  idleDelayMs: Number(process.env.RELAY_IDLE_DELAY_MS ?? 1_000),
});
console.log("relay started");
