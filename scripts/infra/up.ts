import { migrateAll } from "../../core/migrate";
import { loadConfig } from "../../core/shared/config";
import { brokerPort, startKafka } from "./kafka";
import { ensureMachineServices } from "./services";

/**
 * Brings the infrastructure up (Postgres, Redis, Kafka), migrates every schema and keeps the broker running
 * until Ctrl-C / SIGTERM: for working on core without the whole platform.
 */
const config = loadConfig();
await ensureMachineServices(config.DATABASE_URL, config.REDIS_URL);
const port = brokerPort(config.KAFKA_BROKERS);
const kafka = await startKafka({ port, log: console.log });
await migrateAll(config);
console.log(
  `infrastructure ready: ${config.DATABASE_URL}, ${config.REDIS_URL}, kafka ${kafka.brokers.join(",")}`,
);
const stop = async () => {
  await kafka.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
