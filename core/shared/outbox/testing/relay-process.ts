// A relay in its own process, so a test can SIGKILL it mid-batch. Configured by env from the test.
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
const bus = createKafkaBus({ brokers: env("KAFKA_BROKERS").split(","), clientId: "relay-process" });
startRelay({
  db,
  bus,
  logger: createLogger("relay-process", "warn"),
  topicPrefix: env("TOPIC_PREFIX"),
  batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 100),
  databaseUrl: env("DATABASE_URL"),
});
console.log("relay started");
